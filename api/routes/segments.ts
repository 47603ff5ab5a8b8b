import { Router } from 'express';
import { z } from 'zod';
import { playbookSchema } from '../../domain/segments/playbooks.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

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

export function segmentsRouter(deps: { db: Db }): Router {
  const router = Router();

  route(router, 'GET /api/segments', async (_req, res) => {
    res.json({ items: await deps.db('segments').select(columns).orderBy('sort_order') });
  });

  // Running campaigns keep the playbook they were approved with; an edit applies to new plans.
  route(router, 'PUT /api/segments/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    const change = parseOr400(segmentUpdate, req.body);
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
