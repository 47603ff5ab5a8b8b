import { Router } from 'express';
import { z } from 'zod';
import { checkCopy } from '../../domain/messaging/index.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import {
  CampaignNotFound,
  CopyLocked,
  listCampaignCopy,
  saveCampaignCopy,
  UnknownSegment,
} from '../data/campaign-copy.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * The message copy of a campaign, per segment: what the planner drafted, and a marketer's edits
 * before approval. An edit is checked like a draft (Liquid, known variables, plain-text SMS of
 * at most two segments) and refused with every reason.
 */

const idParam = z.strictObject({ id: z.uuid() });
const copyParams = z.strictObject({
  id: z.uuid(),
  segment: z.string().regex(/^[a-z0-9_]{1,60}$/, 'a segment key: lower-case letters, digits and _'),
});
// Generous bounds against abuse; the real limits are checkCopy's, reported per field.
const copyBody = z.strictObject({
  subject: z.string().max(10_000),
  body: z.string().max(50_000),
  sms: z.string().max(10_000),
});

export const campaignCopyRoutes = {
  list: defineRoute({
    key: 'GET /api/campaigns/:id/copy',
    tag: 'Campaigns',
    summary: "A campaign's message copy, per segment",
    params: idParam,
    responses: { 200: { description: 'The copy of each segment, drafted or edited.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
  save: defineRoute({
    key: 'PUT /api/campaigns/:id/copy/:segment',
    tag: 'Campaigns',
    summary: "Edit a segment's copy before the plan is approved",
    description:
      'Checked like a draft (Liquid, known variables, plain-text SMS of at most two segments); ' +
      'a refusal names every reason in `errors`.',
    params: copyParams,
    body: copyBody,
    responses: { 200: { description: 'The copy as saved.' } },
    problems: { 404: 'No campaign with this id, or no such segment in it.', 409: 'The plan is approved.' },
  }),
};

function userId(res: { locals: { principal?: { kind: string; userId?: string } } }): string | null {
  const p = res.locals.principal;
  return p?.kind === 'user' ? (p.userId ?? null) : null;
}

export function campaignCopyRouter(deps: { db: Db; storeName: string }): Router {
  const router = Router();

  route(router, campaignCopyRoutes.list, async (_req, res, { params: { id } }) => {
    const items = await listCampaignCopy(deps.db, id);
    if (!items) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    res.json({ items });
  });

  route(router, campaignCopyRoutes.save, async (_req, res, { params: { id, segment }, body: copy }) => {
    const issues = await checkCopy(copy, { storeName: deps.storeName });
    if (issues.length > 0) {
      throw new HttpProblem(400, 'Bad Request', 'The copy cannot be used as it is.', {
        errors: issues.map((i) => ({ path: `body.${i.field}`, message: i.message })),
      });
    }
    try {
      const { before, after } = await saveCampaignCopy(deps.db, { campaignId: id, segment, copy, userId: userId(res) });
      const audited = (c: typeof before) => c && { subject: c.subject, body: c.body, sms: c.sms, source: c.source };
      res.locals.audit = { entityId: id, segment, before: audited(before), after: audited(after) };
      res.json(after);
    } catch (err) {
      if (err instanceof CampaignNotFound || err instanceof UnknownSegment) {
        throw new HttpProblem(404, 'Not Found', err.message);
      }
      if (err instanceof CopyLocked) throw new HttpProblem(409, 'Conflict', err.message);
      throw err;
    }
  });

  return router;
}
