import { Router } from 'express';
import { TypedSearchAttributes, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { campaignStatuses, campaignTypes } from '../../domain/campaigns/lifecycle.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import {
  approveUpdate,
  cancelUpdate,
  editActionsUpdate,
  generateUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  startUpdate,
  type CampaignTimings,
} from '../../workflows/campaign-messages.ts';
import type { campaignWorkflow } from '../../workflows/campaign.ts';

const updates = {
  generate: generateUpdate,
  start: startUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  cancel: cancelUpdate,
};
import { campaignWorkflowId } from '../../temporal/workflow-ids.ts';
import { CampaignStartsAt, CampaignStatus, CampaignType } from '../../temporal/search-attributes.ts';
import type { RouteKey } from '../access.ts';
import type { Workflows } from '../app.ts';
import { route } from '../auth/middleware.ts';
import {
  createCampaign,
  getCampaign,
  getCampaignProgress,
  listActions,
  listCampaigns,
  UnknownSegments,
} from '../data/campaigns.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute, type RouteHandler } from '../route-spec.ts';
import { sendSharedJson, singleFlight } from '../single-flight.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

const newCampaign = z.strictObject({
  name: z.string().trim().min(1).max(120),
  type: z.enum(campaignTypes),
  goal: z.string().trim().min(1).max(1_000),
  targetSegments: z.array(z.string().max(60)).max(20).default([]),
  channels: z
    .array(z.enum(['email', 'sms']))
    .min(1)
    .refine((c) => new Set(c).size === c.length, 'each channel once'),
  startsOn: isoDate,
  windowDays: z.number().int().min(1).max(31).default(7),
  audienceSize: z.number().int().min(1).max(100_000).default(300),
  holdoutShare: z.number().min(0).max(0.5).optional(),
  timeZone: z
    .string()
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'an IANA time zone')
    .optional(),
});

const idParam = z.strictObject({ id: z.uuid() });
const listQuery = z.strictObject({
  status: z.enum(campaignStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const actionsQuery = z.strictObject({
  day: z.coerce.number().int().min(0).max(30).optional(),
  after: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const actionEdit = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('remove'), actionId: z.uuid() }),
  z.strictObject({
    op: z.literal('change'),
    actionId: z.uuid(),
    day: z.number().int().min(0).max(30).optional(),
    channels: z
      .array(z.enum(['email', 'sms']))
      .min(1)
      .optional(),
    offerKey: z.string().max(40).optional(),
    discountPct: z.number().min(0).max(50).optional(),
  }),
]);
const editsBody = z.strictObject({ edits: z.array(actionEdit).min(1).max(1_000) });
const idempotencyKey = z.string().trim().min(8).max(200).optional();
const createHeaders = z.object({
  'idempotency-key': idempotencyKey.meta({
    description: 'Retrying with the same key returns the campaign it created (200) instead of a second one.',
  }),
});

const conflict = { 409: "The campaign's state refuses this command; `errors` may list why." };
const command = (name: string, key: Extract<RouteKey, `POST /api/campaigns/:id/${string}`>, summary: string) =>
  defineRoute({
    key,
    tag: 'Campaigns',
    summary,
    description: `Runs the \`${name}\` update on the campaign's workflow and answers its progress.`,
    params: idParam,
    responses: { 200: { description: "The campaign's progress after the command." } },
    problems: { 404: 'No campaign with this id.', ...conflict },
  });

export const campaignRoutes = {
  create: defineRoute({
    key: 'POST /api/campaigns',
    tag: 'Campaigns',
    summary: 'Draft a campaign and start its workflow',
    body: newCampaign,
    headers: createHeaders,
    responses: {
      201: { description: 'The new campaign.' },
      200: { description: 'The campaign this Idempotency-Key created before.' },
    },
  }),
  list: defineRoute({
    key: 'GET /api/campaigns',
    tag: 'Campaigns',
    summary: 'Campaigns, newest first',
    query: listQuery,
    responses: { 200: { description: 'The campaigns.' } },
  }),
  get: defineRoute({
    key: 'GET /api/campaigns/:id',
    tag: 'Campaigns',
    summary: 'One campaign with its ledger counts and results',
    params: idParam,
    responses: { 200: { description: 'The campaign.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
  actions: defineRoute({
    key: 'GET /api/campaigns/:id/actions',
    tag: 'Campaigns',
    summary: "The plan's actions, a page at a time",
    description: 'Pass `nextAfter` as `after` for the next page.',
    params: idParam,
    query: actionsQuery,
    responses: { 200: { description: 'A page of actions.' } },
  }),
  progress: defineRoute({
    key: 'GET /api/campaigns/:id/progress',
    tag: 'Campaigns',
    summary: "Live state from the campaign's workflow, with the ledger's counts",
    params: idParam,
    responses: { 200: { description: 'The status, live workflow state (null once finished), ledger and results.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
  editActions: defineRoute({
    key: 'PATCH /api/campaigns/:id/actions',
    tag: 'Campaigns',
    summary: "Remove or change the plan's actions before approval",
    params: idParam,
    body: editsBody,
    responses: { 200: { description: 'The result of the edit.' } },
    problems: { 404: 'No campaign with this id.', ...conflict },
  }),
  generate: command('generate', 'POST /api/campaigns/:id/generate', 'Plan the campaign (LLM or deterministic planner)'),
  approve: command('approve', 'POST /api/campaigns/:id/approve', 'Approve the plan and its copy'),
  start: command('start', 'POST /api/campaigns/:id/start', 'Start sending an approved campaign'),
  pause: command('pause', 'POST /api/campaigns/:id/pause', 'Pause sending'),
  resume: command('resume', 'POST /api/campaigns/:id/resume', 'Resume a paused campaign'),
  cancel: command('cancel', 'POST /api/campaigns/:id/cancel', 'Cancel the campaign'),
};

type CampaignDeps = { db: Db; workflows: Workflows; config: Pick<Config, 'STORE_TIME_ZONE'>; timings: CampaignTimings };

function userId(res: { locals: { principal?: { kind: string; userId?: string } } }): string | null {
  const p = res.locals.principal;
  return p?.kind === 'user' ? (p.userId ?? null) : null;
}

/** A refused or failed update is the marketer's conflict with the campaign's state, not a server error. */
async function runUpdate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as (Error & { details?: unknown[] }) | undefined;
      const errors = Array.isArray(cause?.details?.[0]) ? (cause.details[0] as string[]) : undefined;
      throw new HttpProblem(409, 'Conflict', cause?.message ?? err.message, {
        errors: errors?.map((message) => ({ path: 'edits', message })),
      });
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new HttpProblem(409, 'Conflict', 'This campaign has finished; it takes no more commands.');
    }
    throw err;
  }
}

export function campaignsRouter(deps: CampaignDeps): Router {
  const router = Router();
  const { client, queues } = deps.workflows;
  // Every open campaign page polls this: requests for the same campaign that arrive while one is
  // being answered share its reads, the workflow query included, and its serialised answer.
  const progressNow = singleFlight(
    async (id: string) => {
      const campaign = await getCampaignProgress(deps.db, id);
      if (!campaign) return undefined;
      let live = null;
      try {
        live = await client.workflow.getHandle(campaignWorkflowId(id)).query(progressQuery);
      } catch {
        // A finished (and archived) workflow answers no queries; Postgres has the final state.
      }
      return { status: live?.status ?? campaign.status, live, ledger: campaign.ledger, results: campaign.results };
    },
    (id) => id,
  );

  /**
   * The campaign's workflow, started if it is not running yet: creation stores the draft first,
   * so a crash between the two steps is repaired by the next command.
   */
  async function workflowOf(campaignId: string): Promise<WorkflowHandle<typeof campaignWorkflow>> {
    const campaign = await deps.db('campaigns').where({ id: campaignId }).first();
    if (!campaign) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    const workflowId = campaignWorkflowId(campaignId);
    if (campaign.workflow_id) return client.workflow.getHandle(workflowId);
    const handle = await client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      workflowId,
      taskQueue: queues.workflows,
      args: [{ campaignId, queues: { sends: queues.sends, planning: queues.planning }, timings: deps.timings }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { name: campaign.name },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: CampaignStatus, value: campaign.status },
        { key: CampaignType, value: campaign.type },
        { key: CampaignStartsAt, value: new Date(`${campaign.starts_on}T00:00:00Z`) },
      ]),
    });
    await deps.db('campaigns').where({ id: campaignId }).update({ workflow_id: workflowId });
    return handle;
  }

  route(router, campaignRoutes.create, async (_req, res, { body, headers }) => {
    const key = headers['idempotency-key'];
    try {
      const { id, created } = await createCampaign(deps.db, {
        ...body,
        timeZone: body.timeZone ?? deps.config.STORE_TIME_ZONE,
        createdBy: userId(res),
        idempotencyKey: key ?? null,
      });
      await workflowOf(id);
      res.locals.audit = { entityId: id, after: created ? body : undefined };
      res.status(created ? 201 : 200).json(await getCampaign(deps.db, id));
    } catch (err) {
      if (err instanceof UnknownSegments) throw new HttpProblem(400, 'Bad Request', err.message);
      throw err;
    }
  });

  route(router, campaignRoutes.list, async (_req, res, { query }) => {
    res.json({ items: await listCampaigns(deps.db, query) });
  });

  route(router, campaignRoutes.get, async (_req, res, { params: { id } }) => {
    const campaign = await getCampaign(deps.db, id);
    if (!campaign) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    res.json(campaign);
  });

  route(router, campaignRoutes.actions, async (_req, res, { params: { id }, query }) => {
    const items = await listActions(deps.db, id, query);
    res.json({ items, nextAfter: items.at(-1)?.id ?? null });
  });

  /** Live state from the workflow, with the ledger's counts from Postgres. */
  route(router, campaignRoutes.progress, async (_req, res, { params: { id } }) => {
    const progress = await progressNow(id);
    if (!progress) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    sendSharedJson(res, progress);
  });

  route(router, campaignRoutes.editActions, async (_req, res, { params: { id }, body: { edits } }) => {
    const handle = await workflowOf(id);
    const result = await runUpdate(() => handle.executeUpdate(editActionsUpdate, { args: [edits] }));
    res.locals.audit = { entityId: id, edits };
    res.json(result);
  });

  const runCommand =
    (
      name: 'generate' | 'start' | 'pause' | 'resume' | 'cancel' | 'approve',
    ): RouteHandler<ReturnType<typeof command>> =>
    async (_req, res, { params: { id } }) => {
      const handle = await workflowOf(id);
      const progress = await runUpdate(() =>
        name === 'approve'
          ? handle.executeUpdate(approveUpdate, { args: [{ approvedBy: userId(res) }] })
          : handle.executeUpdate(updates[name]),
      );
      res.locals.audit = { entityId: id };
      res.json(progress);
    };
  for (const name of ['generate', 'approve', 'start', 'pause', 'resume', 'cancel'] as const) {
    route(router, campaignRoutes[name], runCommand(name));
  }

  return router;
}
