import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { campaignTimeline, listCampaignSends } from '../data/campaigns.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * A campaign's ledger for its page: the sends (with their errors) a page at a time, and the
 * per-day timeline of planned actions and sends by status.
 */

const sendStatuses = [
  'pending',
  'sending',
  'sent',
  'delivered',
  'failed',
  'skipped',
  'bounced',
  'complained',
  'unconfirmed',
  'unknown',
] as const;

const idParam = z.strictObject({ id: z.uuid() });
const sendsQuery = z.strictObject({
  status: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(sendStatuses)).min(1).max(sendStatuses.length))
    .optional(),
  day: z.coerce.number().int().min(0).max(30).optional(),
  after: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const campaignSendsRoutes = {
  sends: defineRoute({
    key: 'GET /api/campaigns/:id/sends',
    tag: 'Campaigns',
    summary: "The campaign's sends, a page at a time",
    description: 'Filter by `status` (comma-separated) and `day`; pass `nextAfter` as `after` for the next page.',
    params: idParam,
    query: sendsQuery,
    responses: { 200: { description: 'A page of sends, with the customer, channel, status and last error.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
  timeline: defineRoute({
    key: 'GET /api/campaigns/:id/timeline',
    tag: 'Campaigns',
    summary: 'Planned actions and sends by status, per campaign day',
    params: idParam,
    responses: { 200: { description: 'One entry per day that has actions or sends.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
};

export function campaignSendsRouter(deps: { db: Db }): Router {
  const router = Router();

  async function mustExist(id: string) {
    if (!(await deps.db('campaigns').where({ id }).first('id'))) {
      throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    }
  }

  route(router, campaignSendsRoutes.sends, async (_req, res, { params: { id }, query }) => {
    await mustExist(id);
    const items = await listCampaignSends(deps.db, id, query);
    res.json({ items, nextAfter: items.length === query.limit ? (items.at(-1)?.id ?? null) : null });
  });

  route(router, campaignSendsRoutes.timeline, async (_req, res, { params: { id } }) => {
    await mustExist(id);
    res.json({ days: await campaignTimeline(deps.db, id) });
  });

  return router;
}
