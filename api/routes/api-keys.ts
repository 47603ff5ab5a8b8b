import { Router } from 'express';
import { z } from 'zod';
import { apiKeyScopes, type ApiKeys } from '../auth/api-keys.ts';
import { route } from '../auth/middleware.ts';
import { roles } from '../auth/roles.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

const newKey = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(roles).default('user'),
  scopes: z.array(z.enum(apiKeyScopes)).min(1).max(apiKeyScopes.length),
  expiresAt: z.coerce.date().optional(),
});
const idParam = z.strictObject({ id: z.uuid() });

export function apiKeysRouter(deps: { apiKeys: ApiKeys }): Router {
  const router = Router();

  route(router, 'GET /api/api-keys', async (_req, res) => {
    res.json({ items: await deps.apiKeys.list() });
  });

  route(router, 'POST /api/api-keys', async (req, res) => {
    const input = parseOr400(newKey, req.body);
    const principal = res.locals.principal;
    const created = await deps.apiKeys.create({
      ...input,
      createdBy: principal?.kind === 'user' ? principal.userId : undefined,
    });
    res.locals.audit = {
      entityId: created.id,
      after: { name: created.name, role: created.role, scopes: created.scopes },
    };
    res.status(201).json(created);
  });

  route(router, 'DELETE /api/api-keys/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    if (!(await deps.apiKeys.revoke(id))) throw new HttpProblem(404, 'Not Found', 'No active API key with this id.');
    res.status(204).end();
  });

  return router;
}
