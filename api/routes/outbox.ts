import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { BadCursor } from '../data/customers.ts';
import { getOutboxMessage, listOutbox } from '../data/outbox.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * The sandbox outbox, for the marketer to read what their campaign would have sent. Nothing is
 * masked (these are the store's own messages), and bodies are never logged.
 */

const listQuery = z.strictObject({
  channel: z.enum(['email', 'sms']).optional(),
  sendId: z.uuid().optional(),
  to: z.string().min(1).max(320).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const idParam = z.strictObject({ id: z.uuid() });

export const outboxRoutes = {
  list: defineRoute({
    key: 'GET /api/outbox',
    tag: 'Outbox',
    summary: 'Messages the sandbox providers would have sent',
    description: 'Keyset-paginated: pass the `nextCursor` of a page as `cursor` for the next one.',
    query: listQuery,
    responses: { 200: { description: 'A page of sandbox messages, newest first.' } },
  }),
  get: defineRoute({
    key: 'GET /api/outbox/:id',
    tag: 'Outbox',
    summary: 'One sandbox message, with its body',
    params: idParam,
    responses: { 200: { description: 'The message.' } },
    problems: { 404: 'No outbox message with this id.' },
  }),
};

export function outboxRouter(deps: { db: Db }): Router {
  const router = Router();

  route(router, outboxRoutes.list, async (_req, res, { query: q }) => {
    try {
      res.json(await listOutbox(deps.db, q));
    } catch (err) {
      if (err instanceof BadCursor) throw new HttpProblem(400, 'Bad Request', err.message);
      throw err;
    }
  });

  route(router, outboxRoutes.get, async (_req, res, { params: { id } }) => {
    const message = await getOutboxMessage(deps.db, id);
    if (!message) throw new HttpProblem(404, 'Not Found', 'No outbox message with this id.');
    res.json(message);
  });

  return router;
}
