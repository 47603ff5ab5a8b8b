import { Router } from 'express';
import { z } from 'zod';
import { journeyKinds, journeySettingsSchema, type JourneyKind } from '../../domain/journeys/definitions.ts';
import { checkCopy } from '../../domain/messaging/index.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { allJourneySettings, customerJourneys, saveJourneySettings } from '../data/journeys.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * The store's journeys: each one on or off, when its steps go out and what they say (managers
 * and admins), and, on the customer page, which journeys ran for a customer and what they sent.
 */

const settingsBody = z
  .strictObject(
    Object.fromEntries(journeyKinds.map((k) => [k, journeySettingsSchema.optional()])) as Record<
      JourneyKind,
      z.ZodOptional<typeof journeySettingsSchema>
    >,
  )
  .refine((b) => Object.keys(b).length > 0, 'at least one journey');

export const journeyRoutes = {
  settings: defineRoute({
    key: 'GET /api/journeys/settings',
    tag: 'Journeys',
    summary: "Every journey's settings: on or off, and each step's hour and message",
    responses: { 200: { description: 'The settings, keyed by journey.' } },
  }),
  saveSettings: defineRoute({
    key: 'PUT /api/journeys/settings',
    tag: 'Journeys',
    summary: 'Switch journeys on or off and change their steps',
    description:
      'Each journey given replaces its stored settings; the others stay as they are. Running journeys keep the ' +
      'settings they started with.',
    body: settingsBody,
    responses: { 200: { description: 'The settings, keyed by journey.' } },
  }),
  customer: defineRoute({
    key: 'GET /api/customers/:id/journeys',
    tag: 'Customers',
    summary: 'The journeys that ran for a customer, newest first, with what each sent',
    params: z.strictObject({ id: z.uuid() }),
    responses: { 200: { description: 'The journeys.' } },
    problems: { 404: 'No customer with this id.' },
  }),
};

function userId(res: { locals: { principal?: { kind: string; userId?: string } } }): string | null {
  const p = res.locals.principal;
  return p?.kind === 'user' ? (p.userId ?? null) : null;
}

export function journeysRouter(deps: { db: Db; storeName: string }): Router {
  const router = Router();

  route(router, journeyRoutes.settings, async (_req, res) => {
    res.json(await allJourneySettings(deps.db));
  });

  route(router, journeyRoutes.saveSettings, async (_req, res, { body }) => {
    const errors: { path: string; message: string }[] = [];
    for (const [kind, settings] of Object.entries(body)) {
      for (const [i, step] of (settings?.steps ?? []).entries()) {
        if (!step.copy) continue;
        for (const issue of await checkCopy(step.copy, { storeName: deps.storeName })) {
          errors.push({ path: `body.${kind}.steps.${i}.copy.${issue.field}`, message: issue.message });
        }
      }
    }
    if (errors.length > 0) throw new HttpProblem(400, 'Bad Request', 'Some copy cannot be used as it is.', { errors });
    const before = await allJourneySettings(deps.db);
    await saveJourneySettings(deps.db, body, userId(res));
    const after = await allJourneySettings(deps.db);
    const changed = Object.keys(body) as JourneyKind[];
    res.locals.audit = {
      before: Object.fromEntries(changed.map((k) => [k, before[k]])),
      after: Object.fromEntries(changed.map((k) => [k, after[k]])),
    };
    res.json(after);
  });

  route(router, journeyRoutes.customer, async (_req, res, { params: { id } }) => {
    const exists = await deps.db('customers').where({ id }).first('id');
    if (!exists) throw new HttpProblem(404, 'Not Found', 'No customer with this id.');
    res.json({ items: await customerJourneys(deps.db, id) });
  });

  return router;
}
