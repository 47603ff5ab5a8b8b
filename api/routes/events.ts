import { Router } from 'express';
import { z } from 'zod';
import { eventEffect, knownEventTypes, type JourneyKind } from '../../domain/journeys/definitions.ts';
import { readEmail, readPhone } from '../../domain/import/values.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import { signalJourney, signalWithStartJourney } from '../../temporal/journey-starts.ts';
import type { Workflows } from '../app.ts';
import { route } from '../auth/middleware.ts';
import { enabledJourneys, resolveCustomer, storedEvent, storeEvent } from '../data/journeys.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * `POST /api/events`: the store's systems report what a customer did (an API key with the
 * `events` scope). Known events start the customer's journey, or tell the one already running,
 * through a signal-with-start on the journey's deterministic workflow id: a burst of events for
 * one customer leaves one journey. Idempotent by `eventId`: a repeat changes nothing.
 */

const body = z
  .strictObject({
    type: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a lower-case event name such as purchase or cart_abandoned'),
    eventId: z.string().trim().min(1).max(200),
    occurredAt: z.iso.datetime({ offset: true }),
    properties: z
      .record(z.string().max(100), z.unknown())
      .refine((p) => Object.keys(p).length <= 100, 'at most 100 properties')
      .default({}),
    customerId: z.string().trim().min(1).max(100).optional(),
    email: z.string().trim().min(1).max(254).optional(),
    phone: z.string().trim().min(1).max(40).optional(),
  })
  .refine((e) => [e.customerId, e.email, e.phone].filter((v) => v !== undefined).length === 1, {
    message: 'name the customer by exactly one of customerId, email or phone',
    path: ['customerId'],
  });

const journeyOutcome = z.object({
  journey: z.string(),
  outcome: z.enum(['started', 'signalled', 'ignored']),
  workflowId: z.string().optional(),
  reason: z.string().optional(),
});

export const eventRoutes = {
  create: defineRoute({
    key: 'POST /api/events',
    tag: 'Events',
    summary: "Report a customer's event; known events start or signal their journey",
    description:
      `Known types: ${knownEventTypes.join(', ')}; others are stored and start nothing. The customer is named by the ` +
      "store's id (`customerId`), an e-mail address or a phone number, normalised as imports do. Idempotent by " +
      '`eventId`: a repeat answers `duplicate` with what the first one did.',
    body,
    responses: {
      202: {
        description: 'Accepted: what the event did (started, signalled, duplicate or ignored), per journey.',
        schema: z.object({
          eventId: z.string(),
          customerId: z.uuid(),
          outcome: z.enum(['started', 'signalled', 'duplicate', 'ignored']),
          journeys: z.array(journeyOutcome),
        }),
      },
    },
    problems: { 422: 'The event names a customer the store does not know, or more than one.' },
  }),
};

type JourneyOutcome = z.infer<typeof journeyOutcome>;

export function eventsRouter(deps: {
  db: Db;
  workflows: Workflows;
  config: Pick<Config, 'DEFAULT_PHONE_REGION'>;
}): Router {
  const router = Router();
  const { client, queues } = deps.workflows;

  route(router, eventRoutes.create, async (_req, res, { body: e }) => {
    const repeat = await storedEvent(deps.db, e.eventId);
    if (repeat) {
      res
        .status(202)
        .json({ eventId: e.eventId, customerId: repeat.customerId, outcome: 'duplicate', journeys: repeat.outcome });
      return;
    }
    const ref =
      e.email !== undefined
        ? { field: 'email', parsed: readEmail(e.email) }
        : e.phone !== undefined
          ? { field: 'phone', parsed: readPhone(deps.config.DEFAULT_PHONE_REGION)(e.phone) }
          : { field: 'customerId', parsed: { ok: true as const, value: e.customerId! } };
    if (!ref.parsed.ok) {
      throw new HttpProblem(400, 'Bad Request', 'The event names its customer with an address that is not one.', {
        errors: [{ path: `body.${ref.field}`, message: ref.parsed.reason }],
      });
    }
    const customerId = await resolveCustomer(deps.db, { [ref.field]: ref.parsed.value });
    if (customerId === null || customerId === 'ambiguous') {
      throw new HttpProblem(
        422,
        'Unprocessable Content',
        customerId === null
          ? 'The event names a customer this store does not know.'
          : 'The event names more than one customer; name them by customerId.',
        { errors: [{ path: `body.${ref.field}`, message: customerId === null ? 'unknown customer' : 'ambiguous' }] },
      );
    }

    const effect = eventEffect(e.type);
    const enabled = effect.starts.length + effect.signals.length > 0 ? await enabledJourneys(deps.db) : new Set();
    const event = { type: e.type, eventId: e.eventId, occurredAt: e.occurredAt };
    const start = async (journey: JourneyKind): Promise<JourneyOutcome> => {
      if (!enabled.has(journey)) return { journey, outcome: 'ignored', reason: 'switched off' };
      const s = await signalWithStartJourney(client, deps.db, {
        journey,
        customerId,
        trigger: 'event',
        event,
        taskQueue: queues.workflows,
        sendsTaskQueue: queues.sends,
      });
      return { journey, outcome: s.outcome, workflowId: s.workflowId };
    };
    const tell = async (journey: JourneyKind): Promise<JourneyOutcome | null> =>
      (await signalJourney(client, journey, customerId, event)) ? { journey, outcome: 'signalled' } : null;
    const journeys = (await Promise.all([...effect.starts.map(start), ...effect.signals.map(tell)])).filter(
      (j): j is JourneyOutcome => j !== null,
    );

    const outcome = journeys.some((j) => j.outcome === 'started')
      ? 'started'
      : journeys.some((j) => j.outcome === 'signalled')
        ? 'signalled'
        : 'ignored';
    const fresh = await storeEvent(deps.db, { ...e, customerId, outcome: journeys });
    res.status(202).json({ eventId: e.eventId, customerId, outcome: fresh ? outcome : 'duplicate', journeys });
  });

  return router;
}
