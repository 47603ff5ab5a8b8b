import { Router } from 'express';
import { z } from 'zod';
import { apiKeyScopes, type ApiKeys } from '../auth/api-keys.ts';
import { route } from '../auth/middleware.ts';
import { roles } from '../auth/roles.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

const newKey = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(roles).default('user'),
  scopes: z.array(z.enum(apiKeyScopes)).min(1).max(apiKeyScopes.length),
  expiresAt: z.coerce.date().optional(),
});
const idParam = z.strictObject({ id: z.uuid() });

const createdKey = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  role: z.enum(roles),
  scopes: z.array(z.enum(apiKeyScopes)),
  key: z.string().meta({ description: 'The whole key, shown this once; only its hash is kept.' }),
});

export const apiKeyRoutes = {
  list: defineRoute({
    key: 'GET /api/api-keys',
    tag: 'API keys',
    summary: 'Every API key, without its secret',
    responses: { 200: { description: 'The keys, newest first.' } },
  }),
  create: defineRoute({
    key: 'POST /api/api-keys',
    tag: 'API keys',
    summary: 'Create an API key for an external system',
    body: newKey,
    responses: { 201: { description: 'The new key, with its secret shown once.', schema: createdKey } },
  }),
  revoke: defineRoute({
    key: 'DELETE /api/api-keys/:id',
    tag: 'API keys',
    summary: 'Revoke an API key',
    params: idParam,
    responses: { 204: { description: 'Revoked.' } },
    problems: { 404: 'No active API key with this id.' },
  }),
};

export function apiKeysRouter(deps: { apiKeys: ApiKeys }): Router {
  const router = Router();

  route(router, apiKeyRoutes.list, async (_req, res) => {
    res.json({ items: await deps.apiKeys.list() });
  });

  route(router, apiKeyRoutes.create, async (_req, res, { body: input }) => {
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

  route(router, apiKeyRoutes.revoke, async (_req, res, { params: { id } }) => {
    if (!(await deps.apiKeys.revoke(id))) throw new HttpProblem(404, 'Not Found', 'No active API key with this id.');
    res.status(204).end();
  });

  return router;
}
