import { Router } from 'express';
import { z } from 'zod';
import { journeyKinds, knownEventTypes } from '../../domain/journeys/definitions.ts';
import { readEmail, readPhone } from '../../domain/import/values.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { acceptEvents, eventStatus, overallOutcome, type AcceptedEvent, type IncomingEvent } from '../data/events.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * `POST /api/events` and `POST /api/events/batch`: the store's systems report what customers did
 * (an API key with the `events` scope). An event is accepted once it is stored: the answer does
 * not wait on Temporal. The journey dispatcher on the worker (activities/journey-dispatch.ts)
 * then starts the customer's journey, or tells the one already running, through a signal-with-start
 * on the journey's deterministic workflow id. What the client can fix (a malformed event, a
 * customer the store does not know) is answered at once. Idempotent by `eventId`.
 */

const event = z
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

/** Events per batch request: Segment's and Klaviyo's bulk APIs take a few hundred; a body is at most 1 MB. */
export const MAX_EVENTS_PER_BATCH = 500;

const journeyOutcome = z.object({
  journey: z.enum(journeyKinds),
  outcome: z.enum(['queued', 'started', 'signalled', 'ignored']),
  workflowId: z.string().optional(),
  reason: z.string().optional(),
});

const accepted = z.object({
  eventId: z.string(),
  customerId: z.uuid(),
  outcome: z.enum(['queued', 'started', 'signalled', 'duplicate', 'ignored']),
  journeys: z.array(journeyOutcome),
});

const fieldErrors = z.array(z.object({ path: z.string(), message: z.string() }));

const outcomes =
  '`queued`: a journey is to start or hear of it, which the dispatcher does within moments; `ignored`: it ' +
  'concerns no journey that is on. A repeat answers `duplicate` with what the first one did or is to do ' +
  '(each journey `queued` until delivered, then `started`, `signalled` or `ignored`).';

export const eventRoutes = {
  create: defineRoute({
    key: 'POST /api/events',
    tag: 'Events',
    summary: "Report a customer's event; known events start or signal their journey",
    description:
      `Known types: ${knownEventTypes.join(', ')}; others are stored and start nothing. The customer is named by the ` +
      "store's id (`customerId`), an e-mail address or a phone number, normalised as imports do. The event is " +
      `accepted once stored; journeys hear of it asynchronously. ${outcomes}`,
    body: event,
    responses: { 202: { description: 'Accepted: stored, and what it is to do per journey.', schema: accepted } },
    problems: { 422: 'The event names a customer the store does not know, or more than one.' },
  }),
  batch: defineRoute({
    key: 'POST /api/events/batch',
    tag: 'Events',
    summary: `Report up to ${MAX_EVENTS_PER_BATCH} events in one request, each accepted or rejected on its own`,
    description:
      'Each item is an event as `POST /api/events` takes it, validated on its own: a bad item is rejected with its ' +
      'errors (paths `body.events.<index>.…`) and the others are accepted. Results come in the order of the items. ' +
      outcomes,
    body: z.strictObject({
      events: z
        .array(z.unknown().meta({ description: 'An event, as the body of `POST /api/events`.' }))
        .min(1)
        .max(MAX_EVENTS_PER_BATCH),
    }),
    responses: {
      202: {
        description: 'Every item answered: accepted, duplicate (with what the first one did) or rejected.',
        schema: z.object({
          accepted: z.int(),
          duplicates: z.int(),
          rejected: z.int(),
          results: z.array(
            z.union([
              accepted.extend({ index: z.int(), status: z.enum(['accepted', 'duplicate']) }),
              z.object({
                index: z.int(),
                status: z.literal('rejected'),
                eventId: z.string().optional(),
                errors: fieldErrors,
              }),
            ]),
          ),
        }),
      },
    },
  }),
  show: defineRoute({
    key: 'GET /api/events/:id',
    tag: 'Events',
    summary: 'What became of an accepted event: delivered to its journeys or waiting, and the lag',
    description:
      '`dispatchedAt` is when its journeys heard of it (null while it waits) and `lagMs` how long that took from ' +
      'acceptance (while it waits, how long it has waited). A delivery Temporal refused is tried again at ' +
      '`nextAttemptAt`; `error` says why the last one failed.',
    params: z.object({ id: z.string().min(1).max(200) }),
    responses: {
      200: {
        description: 'The event and its delivery.',
        schema: z.object({
          eventId: z.string(),
          type: z.string(),
          customerId: z.uuid(),
          occurredAt: z.iso.datetime({ offset: true }),
          receivedAt: z.iso.datetime({ offset: true }),
          dispatchedAt: z.iso.datetime({ offset: true }).nullable(),
          lagMs: z.int(),
          outcome: z.enum(['queued', 'started', 'signalled', 'ignored']),
          journeys: z.array(journeyOutcome),
          attempts: z.int(),
          nextAttemptAt: z.iso.datetime({ offset: true }).nullable(),
          error: z.string().nullable(),
        }),
      },
    },
    problems: { 404: 'No event with this eventId.' },
  }),
};

type Event = z.output<typeof event>;
type FieldError = z.infer<typeof fieldErrors>[number];

/** The event's customer reference, normalised as imports do; the field's error when it is not one. */
function readEvent(e: Event, phone: ReturnType<typeof readPhone>): IncomingEvent | FieldError {
  const [field, parsed] =
    e.email !== undefined
      ? (['email', readEmail(e.email)] as const)
      : e.phone !== undefined
        ? (['phone', phone(e.phone)] as const)
        : (['customerId', { ok: true as const, value: e.customerId! }] as const);
  if (!parsed.ok) return { path: field, message: parsed.reason };
  return {
    eventId: e.eventId,
    type: e.type,
    occurredAt: e.occurredAt,
    properties: e.properties,
    ref: { field, value: parsed.value },
  };
}

type Unresolved = Extract<AcceptedEvent, { ref: unknown }>;
const isUnresolved = (a: AcceptedEvent): a is Unresolved => 'ref' in a;

function unresolved(a: Unresolved): FieldError {
  return { path: a.ref.field, message: a.status === 'unknown' ? 'unknown customer' : 'ambiguous' };
}

export function eventsRouter(deps: { db: Db; config: Pick<Config, 'DEFAULT_PHONE_REGION'> }): Router {
  const router = Router();
  const phone = readPhone(deps.config.DEFAULT_PHONE_REGION);

  route(router, eventRoutes.create, async (_req, res, { body }) => {
    const read = readEvent(body, phone);
    if (!('eventId' in read)) {
      throw new HttpProblem(400, 'Bad Request', 'The event names its customer with an address that is not one.', {
        errors: [{ ...read, path: `body.${read.path}` }],
      });
    }
    const [a] = (await acceptEvents(deps.db, [read])) as [AcceptedEvent];
    if (isUnresolved(a)) {
      throw new HttpProblem(
        422,
        'Unprocessable Content',
        a.status === 'unknown'
          ? 'The event names a customer this store does not know.'
          : 'The event names more than one customer; name them by customerId.',
        { errors: [{ ...unresolved(a), path: `body.${a.ref.field}` }] },
      );
    }
    res.locals.audit = { entityId: a.eventId, outcome: a.outcome };
    res.status(202).json({ eventId: a.eventId, customerId: a.customerId, outcome: a.outcome, journeys: a.journeys });
  });

  route(router, eventRoutes.batch, async (_req, res, { body }) => {
    const errors = new Map<number, { eventId?: string; errors: FieldError[] }>();
    const valid: { index: number; event: IncomingEvent }[] = [];
    body.events.forEach((item, index) => {
      const parsed = event.safeParse(item);
      const at = (path: string) => `body.events.${index}${path ? `.${path}` : ''}`;
      if (!parsed.success) {
        const eventId = (item as { eventId?: unknown } | null)?.eventId;
        errors.set(index, {
          ...(typeof eventId === 'string' ? { eventId: eventId.slice(0, 200) } : {}),
          errors: parsed.error.issues.map((i) => ({ path: at(i.path.join('.')), message: i.message })),
        });
        return;
      }
      const read = readEvent(parsed.data, phone);
      if ('eventId' in read) valid.push({ index, event: read });
      else errors.set(index, { eventId: parsed.data.eventId, errors: [{ ...read, path: at(read.path) }] });
    });
    const answers = await acceptEvents(
      deps.db,
      valid.map((v) => v.event),
    );
    const results: unknown[] = Array.from({ length: body.events.length });
    let acceptedCount = 0;
    let duplicates = 0;
    answers.forEach((a, i) => {
      const { index } = valid[i]!;
      if (isUnresolved(a)) {
        const e = unresolved(a);
        errors.set(index, { eventId: a.eventId, errors: [{ ...e, path: `body.events.${index}.${e.path}` }] });
        return;
      }
      if (a.status === 'accepted') acceptedCount++;
      else duplicates++;
      results[index] = { index, ...a };
    });
    for (const [index, e] of errors) results[index] = { index, status: 'rejected', ...e };
    res.locals.audit = {
      // The events stored or repeated, as far as the record's 200 characters go.
      entityId: [...new Set(answers.filter((a) => !isUnresolved(a)).map((a) => a.eventId))].join(',').slice(0, 200),
      accepted: acceptedCount,
      duplicates,
      rejected: errors.size,
    };
    res.status(202).json({ accepted: acceptedCount, duplicates, rejected: errors.size, results });
  });

  route(router, eventRoutes.show, async (_req, res, { params }) => {
    const status = await eventStatus(deps.db, params.id);
    if (!status) throw new HttpProblem(404, 'Not Found', 'No event with this eventId.');
    res.json({ ...status, outcome: overallOutcome(status.journeys) });
  });

  return router;
}
