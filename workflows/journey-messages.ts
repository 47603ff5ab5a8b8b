import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JourneyExit, JourneyKind, JourneyTrigger } from '../domain/journeys/definitions.ts';

/**
 * What callers (the events API, the scoring hook, tests) and the journey workflows share: the
 * workflow type of each journey, its input, the event signal and the state query. No workflow
 * code here, so clients can import it.
 */

export const journeyWorkflowTypes = {
  welcome: 'welcomeJourneyWorkflow',
  post_purchase: 'postPurchaseJourneyWorkflow',
  win_back: 'winBackJourneyWorkflow',
  abandoned_cart: 'abandonedCartJourneyWorkflow',
} as const satisfies Record<JourneyKind, string>;

export interface JourneyWorkflowInput {
  customerId: string;
  trigger: JourneyTrigger;
  /** Messages go out through activities on this queue (the sends queue); the workflow's own when absent. */
  sendsTaskQueue?: string;
}

/** An event of the customer's, told to their running journey (a purchase ends a cart reminder). */
export interface JourneyEvent {
  type: string;
  eventId: string;
  occurredAt: string;
}

export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');

export interface JourneyState {
  journey: JourneyKind;
  status: 'starting' | 'waiting' | 'sending' | 'completed' | 'exited';
  /** The step the journey is on or waits for (0-based). */
  step: number;
  steps: number;
  /** When the next step is due (ISO), while waiting. */
  nextStepAt: string | null;
  exitReason: JourneyExit | null;
  sent: number;
  skipped: number;
  failed: number;
}

export const journeyStateQuery = defineQuery<JourneyState>('journeyState');

export interface JourneyResult {
  status: 'completed' | 'exited';
  exitReason: JourneyExit | null;
  sent: number;
  skipped: number;
  failed: number;
}
