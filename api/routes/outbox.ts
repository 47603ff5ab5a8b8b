import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { BadCursor } from '../data/customers.ts';
import { getOutboxMessage, listOutbox } from '../data/outbox.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

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

export function outboxRouter(deps: { db: Db }): Router {
  const router = Router();

  route(router, 'GET /api/outbox', async (req, res) => {
    const q = parseOr400(listQuery, req.query, 'query');
    try {
      res.json(await listOutbox(deps.db, q));
    } catch (err) {
      if (err instanceof BadCursor) throw new HttpProblem(400, 'Bad Request', err.message);
      throw err;
    }
  });

  route(router, 'GET /api/outbox/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    const message = await getOutboxMessage(deps.db, id);
    if (!message) throw new HttpProblem(404, 'Not Found', 'No outbox message with this id.');
    res.json(message);
  });

  return router;
}
