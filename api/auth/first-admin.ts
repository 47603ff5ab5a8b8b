import type { Db } from '../../platform/db.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export interface CreatedAdmin {
  email: string;
  /** Shown once, to the person starting the platform; never stored or logged. */
  password: string;
}

/**
 * The first start creates an admin with a generated password, because a platform that sends
 * marketing to real customers must never ship a default one. Later starts find users and do nothing.
 */
export async function ensureFirstAdmin(db: Db, email: string): Promise<CreatedAdmin | undefined> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return db.transaction(async (trx) => {
    // Two launchers starting at once must not both create an admin.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['lma:first-admin']);
    const existing = await trx('users').count<{ count: number }[]>({ count: '*' });
    if (Number(existing[0]!.count) > 0) return undefined;
    await trx('users').insert({ email, display_name: 'Administrator', password_hash: passwordHash, role: 'admin' });
    return { email, password };
  });
}
