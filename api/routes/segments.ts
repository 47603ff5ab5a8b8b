import { Router } from 'express';
import { z } from 'zod';
import { playbookSchema } from '../../domain/segments/playbooks.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

const idParam = z.strictObject({ id: z.uuid() });
const segmentUpdate = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  description: z.string().trim().max(500).optional(),
  playbook: playbookSchema.optional(),
});

const columns = [
  'id',
  'key',
  'name',
  'description',
  'rules',
  'playbook',
  'is_system as isSystem',
  'customer_count as customerCount',
  'last_computed_at as lastComputedAt',
  'updated_at as updatedAt',
];

export const segmentRoutes = {
  list: defineRoute({
    key: 'GET /api/segments',
    tag: 'Segments',
    summary: 'The segments, with their rules, playbooks and customer counts',
    responses: { 200: { description: 'The segments in display order.' } },
  }),
  update: defineRoute({
    key: 'PUT /api/segments/:id',
    tag: 'Segments',
    summary: 'Rename a segment or change its description or playbook',
    description: 'Running campaigns keep the playbook they were approved with; an edit applies to new plans.',
    params: idParam,
    body: segmentUpdate,
    responses: { 200: { description: 'The segment as changed.' } },
    problems: { 404: 'No segment with this id.' },
  }),
};

export function segmentsRouter(deps: { db: Db }): Router {
  const router = Router();

  route(router, segmentRoutes.list, async (_req, res) => {
    res.json({ items: await deps.db('segments').select(columns).orderBy('sort_order') });
  });

  // Running campaigns keep the playbook they were approved with; an edit applies to new plans.
  route(router, segmentRoutes.update, async (_req, res, { params: { id }, body: change }) => {
    const updated = await deps.db.transaction(async (trx) => {
      const before = await trx('segments').where({ id }).forUpdate().first();
      if (!before) throw new HttpProblem(404, 'Not Found', 'No segment with this id.');
      const [after] = await trx('segments')
        .where({ id })
        .update({
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.description !== undefined ? { description: change.description } : {}),
          ...(change.playbook !== undefined ? { playbook: JSON.stringify(change.playbook) } : {}),
          updated_at: trx.fn.now(),
        })
        .returning(columns);
      res.locals.audit = {
        before: { name: before.name, description: before.description, playbook: before.playbook },
        after: { name: after.name, description: after.description, playbook: after.playbook },
      };
      return after;
    });
    res.json(updated);
  });

  return router;
}
