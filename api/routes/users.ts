import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { roles } from '../auth/roles.ts';
import type { UserAccess } from '../auth/user-access.ts';
import { createUser, listUsers, updateUser, UserConflict } from '../data/users.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

const newUser = z.strictObject({
  email: z.email().trim().max(320),
  displayName: z.string().trim().min(1).max(100).optional(),
  role: z.enum(roles),
});
const userChange = z
  .strictObject({
    role: z.enum(roles).optional(),
    displayName: z.string().trim().min(1).max(100).optional(),
    disabled: z.boolean().optional(),
  })
  .refine((c) => Object.keys(c).length > 0, 'Change at least one of role, displayName, disabled.');
const idParam = z.strictObject({ id: z.uuid() });

export const userRoutes = {
  list: defineRoute({
    key: 'GET /api/users',
    tag: 'Users',
    summary: 'The people who can sign in, with their roles',
    query: z.strictObject({}),
    responses: { 200: { description: 'Every user, active first.' } },
  }),
  create: defineRoute({
    key: 'POST /api/users',
    tag: 'Users',
    summary: 'Add a user; the response holds a generated one-time password, shown only this once',
    body: newUser,
    responses: { 201: { description: 'The user and their first password.' } },
    problems: { 409: 'A user with this e-mail already exists.' },
  }),
  update: defineRoute({
    key: 'PATCH /api/users/:id',
    tag: 'Users',
    summary: 'Change a user’s role or name, or disable (and sign out) or re-enable them',
    params: idParam,
    body: userChange,
    responses: { 200: { description: 'The user after the change.' } },
    problems: { 404: 'No user with this id.', 409: 'The last active admin cannot be demoted or disabled.' },
  }),
};

function conflict(err: unknown): unknown {
  return err instanceof UserConflict ? new HttpProblem(409, 'Conflict', err.message) : err;
}

export function usersRouter(deps: { db: Db; userAccess: UserAccess }): Router {
  const router = Router();

  route(router, userRoutes.list, async (_req, res) => {
    res.json({ items: await listUsers(deps.db) });
  });

  route(router, userRoutes.create, async (_req, res, { body }) => {
    try {
      const { user, password } = await createUser(deps.db, body);
      res.locals.audit = { entityId: user.id, after: { email: user.email, role: user.role } };
      res.status(201).json({ user, password });
    } catch (err) {
      throw conflict(err);
    }
  });

  route(router, userRoutes.update, async (_req, res, { params: { id }, body }) => {
    let changed;
    try {
      changed = await updateUser(deps.db, id, body);
    } catch (err) {
      throw conflict(err);
    }
    if (!changed) throw new HttpProblem(404, 'Not Found', 'No user with this id.');
    // This process refuses the user's older tokens from the next request on; others hear of it
    // from the database's announcement.
    deps.userAccess.resync();
    const view = (u: typeof changed.after) => ({ role: u.role, displayName: u.displayName, disabledAt: u.disabledAt });
    res.locals.audit = { entityId: id, before: view(changed.before), after: view(changed.after) };
    res.json(changed.after);
  });

  return router;
}
