import type { Db } from '../../platform/db.ts';
import { generatePassword, hashPassword } from '../auth/passwords.ts';
import type { Role } from '../auth/roles.ts';

/** The people who sign in to the app, as admins manage them. Never the password hash. */
export interface UserSummary {
  id: string;
  email: string;
  displayName: string | null;
  role: Role;
  disabledAt: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

const columns = [
  'id',
  'email',
  'display_name as displayName',
  'role',
  'disabled_at as disabledAt',
  'last_login_at as lastLoginAt',
  'created_at as createdAt',
];

export class UserConflict extends Error {
  override name = 'UserConflict';
}

export function listUsers(db: Db): Promise<UserSummary[]> {
  return db('users')
    .select(columns)
    .orderBy([{ column: 'disabled_at', order: 'desc', nulls: 'first' }, 'email']);
}

/**
 * Creates a user with a generated password, returned once for the admin to hand over: the
 * platform never has a default or admin-chosen password to leak.
 */
export async function createUser(
  db: Db,
  input: { email: string; displayName?: string; role: Role },
): Promise<{ user: UserSummary; password: string }> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const existing = await db('users').whereRaw('lower(email) = lower(?)', [input.email]).first('id');
  if (existing) throw new UserConflict('A user with this e-mail already exists.');
  const [user] = await db('users')
    .insert({
      email: input.email,
      display_name: input.displayName ?? null,
      role: input.role,
      password_hash: passwordHash,
    })
    .returning(columns);
  return { user: user as UserSummary, password };
}

/**
 * Changes a user's role, name or whether they may sign in. Disabling also revokes their refresh
 * tokens, so their session ends when its access token expires (minutes). The last active admin
 * can be neither demoted nor disabled: someone must always be able to manage users.
 */
export async function updateUser(
  db: Db,
  id: string,
  change: { role?: Role; displayName?: string; disabled?: boolean },
): Promise<{ before: UserSummary; after: UserSummary } | undefined> {
  return db.transaction(async (trx) => {
    // Two admins demoting each other at once must not both succeed.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['lma:users']);
    const before = (await trx('users').where({ id }).first(columns)) as UserSummary | undefined;
    if (!before) return undefined;
    const losesAdmin =
      before.role === 'admin' &&
      !before.disabledAt &&
      ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin) {
      const [{ n }] = (await trx('users')
        .where({ role: 'admin' })
        .whereNull('disabled_at')
        .whereNot({ id })
        .count({ n: '*' })) as [{ n: string }];
      if (Number(n) === 0) throw new UserConflict('This is the last active admin: make another admin first.');
    }
    const [after] = await trx('users')
      .where({ id })
      .update({
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.displayName !== undefined ? { display_name: change.displayName } : {}),
        ...(change.disabled === true && !before.disabledAt ? { disabled_at: trx.fn.now() } : {}),
        ...(change.disabled === false ? { disabled_at: null, failed_login_count: 0, locked_until: null } : {}),
        updated_at: trx.fn.now(),
      })
      .returning(columns);
    if (change.disabled === true) {
      await trx('refresh_tokens').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
    }
    return { before, after: after as UserSummary };
  });
}
