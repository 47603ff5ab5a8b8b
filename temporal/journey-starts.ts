import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { journeyWorkflowId, type JourneyKind, type JourneyTrigger } from '../domain/journeys/definitions.ts';
import type { DispatchRunInput } from '../activities/journey-dispatch.ts';
import type { Db } from '../platform/db.ts';
import {
  journeyEventSignal,
  journeyWorkflowTypes,
  type JourneyEvent,
  type JourneyWorkflowInput,
} from '../workflows/journey-messages.ts';
import { JourneyType } from './search-attributes.ts';
import type { TaskQueues } from './task-queues.ts';

/**
 * Starting a journey for a customer, from the events API or the nightly scoring hook: a
 * signal-with-start on the journey's deterministic workflow id, so that any number of events at
 * once leave one running journey per customer and kind. Temporal answers with the run it
 * signalled; the first caller to record that run in `journey_runs` is the one that started it.
 */

export interface JourneyStart {
  journey: JourneyKind;
  outcome: 'started' | 'signalled';
  workflowId: string;
  runId: string;
}

export interface JourneyStartInput {
  journey: JourneyKind;
  customerId: string;
  trigger: JourneyTrigger;
  event: JourneyEvent;
  /** The workflows task queue; messages go out on `sendsTaskQueue` when given. */
  taskQueue: string;
  sendsTaskQueue?: string;
}

export async function signalWithStartJourney(client: Client, db: Db, input: JourneyStartInput): Promise<JourneyStart> {
  const workflowId = journeyWorkflowId(input.journey, input.customerId);
  const args: JourneyWorkflowInput = {
    customerId: input.customerId,
    trigger: input.trigger,
    ...(input.sendsTaskQueue ? { sendsTaskQueue: input.sendsTaskQueue } : {}),
  };
  const signalWithStart = () =>
    client.workflow.signalWithStart(journeyWorkflowTypes[input.journey], {
      workflowId,
      taskQueue: input.taskQueue,
      args: [args],
      signal: journeyEventSignal,
      signalArgs: [input.event],
      typedSearchAttributes: new TypedSearchAttributes([{ key: JourneyType, value: input.journey }]),
    });
  let handle;
  for (let attempt = 1; ; attempt++) {
    try {
      handle = await signalWithStart();
      break;
    } catch (err) {
      // Two callers raced to start it (the server may refuse the loser's start instead of
      // signalling): asked again, it signals the run the winner started.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || attempt === 3) throw err;
    }
  }
  const runId = handle.signaledRunId;
  // The workflow records its run too (without `announced`); only one caller turns it on.
  const claimed = await db.raw<{ rows: unknown[] }>(
    `insert into journey_runs (id, journey, customer_id, workflow_id, trigger, announced)
     values (?, ?, ?, ?, ?, true)
     on conflict (id) do update set announced = true where not journey_runs.announced
     returning id`,
    [runId, input.journey, input.customerId, workflowId, input.trigger],
  );
  return { journey: input.journey, outcome: claimed.rows.length > 0 ? 'started' : 'signalled', workflowId, runId };
}

/** Tells a running journey of the customer's about an event; false when none runs. */
export async function signalJourney(
  client: Client,
  journey: JourneyKind,
  customerId: string,
  event: JourneyEvent,
): Promise<boolean> {
  try {
    await client.workflow.getHandle(journeyWorkflowId(journey, customerId)).signal(journeyEventSignal, event);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The journey dispatcher of one deployment (its task queues): one per namespace and queue set. */
export function journeyDispatcherWorkflowId(queues: Pick<TaskQueues, 'workflows'>): string {
  return `journey-dispatcher/${queues.workflows}`;
}

/**
 * Starts the journey dispatcher (workflows/journey-dispatch.ts) unless it runs: every process
 * calls this at start, as it ensures the schedules, and the fixed id leaves one running.
 */
export async function ensureJourneyDispatcher(
  client: Client,
  opts: { queues: Pick<TaskQueues, 'workflows' | 'sends'> } & Pick<DispatchRunInput, 'runForMs' | 'idleMs'>,
): Promise<void> {
  const input: DispatchRunInput = {
    workflowsTaskQueue: opts.queues.workflows,
    sendsTaskQueue: opts.queues.sends,
    ...(opts.runForMs !== undefined ? { runForMs: opts.runForMs } : {}),
    ...(opts.idleMs !== undefined ? { idleMs: opts.idleMs } : {}),
  };
  await client.workflow.start('journeyDispatchWorkflow', {
    workflowId: journeyDispatcherWorkflowId(opts.queues),
    taskQueue: opts.queues.workflows,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
