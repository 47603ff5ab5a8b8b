import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { defineRoute } from '../route-spec.ts';

const query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.date().optional(),
  action: z.string().max(200).optional(),
  entityId: z.string().max(200).optional(),
});

export const auditLogRoutes = {
  list: defineRoute({
    key: 'GET /api/audit-log',
    tag: 'Audit log',
    summary: 'State-changing requests: who, what, target, when, and before/after where recorded',
    query,
    responses: { 200: { description: 'Entries, newest first.' } },
  }),
};

export function auditLogRouter(deps: { db: Db }): Router {
  const router = Router();
  route(router, auditLogRoutes.list, async (_req, res, { query: q }) => {
    const rows = await deps
      .db('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_user_id')
      .leftJoin('api_keys as k', 'k.id', 'a.actor_api_key_id')
      .select(
        'a.id',
        'a.occurred_at as occurredAt',
        'a.action',
        'a.entity_type as entityType',
        'a.entity_id as entityId',
        'a.request_id as requestId',
        'a.details',
        'u.email as actorEmail',
        'k.name as actorApiKey',
      )
      .modify((b) => {
        if (q.before) b.where('a.occurred_at', '<', q.before);
        if (q.action) b.where('a.action', q.action);
        if (q.entityId) b.where('a.entity_id', q.entityId);
      })
      .orderBy('a.occurred_at', 'desc')
      .limit(q.limit);
    res.json({ items: rows });
  });
  return router;
}
