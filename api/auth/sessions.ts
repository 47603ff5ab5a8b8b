import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Role } from './roles.ts';
import { hashOpaqueToken, newOpaqueToken, type AccessTokens } from './tokens.ts';

export interface SessionPolicy {
  refreshTokenDays: number;
  maxFailures: number;
  lockoutMinutes: number;
}

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  refreshExpiresAt: Date;
  user: { id: string; email: string; role: Role; displayName: string | null };
}

/** Why a login or refresh was refused. The HTTP layer maps each to a status. */
export class AuthFailure extends Error {
  override name = 'AuthFailure';
  readonly reason: 'invalid_credentials' | 'locked' | 'invalid_refresh' | 'refresh_reused' | 'disabled';
  readonly retryAfterSeconds?: number;
  constructor(reason: AuthFailure['reason'], message: string, retryAfterSeconds?: number) {
    super(message);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

interface UserRow {
  id: string;
  email: string;
  role: Role;
  display_name: string | null;
  password_hash: string;
  failed_login_count: number;
  locked_until: Date | null;
  disabled_at: Date | null;
  access_version: number;
}

// Verifying against a real hash when the user does not exist keeps the timing the same, so the
// response time does not reveal which e-mail addresses have accounts.
const dummyHash = hashPassword(newOpaqueToken());

export function createSessions(db: Db, tokens: AccessTokens, policy: SessionPolicy) {
  async function issue(
    user: Pick<UserRow, 'id' | 'email' | 'role' | 'display_name' | 'access_version'>,
    familyId: string,
    meta: { userAgent?: string; ip?: string },
    trx: Db = db,
  ): Promise<SessionTokens & { refreshTokenId: string }> {
    const refreshToken = newOpaqueToken();
    const refreshExpiresAt = new Date(Date.now() + policy.refreshTokenDays * 86_400_000);
    const [row] = await trx('refresh_tokens')
      .insert({
        user_id: user.id,
        family_id: familyId,
        token_hash: hashOpaqueToken(refreshToken),
        expires_at: refreshExpiresAt,
        user_agent: meta.userAgent?.slice(0, 300),
        ip: meta.ip,
      })
      .returning('id');
    const accessToken = await tokens.issue({
      userId: user.id,
      role: user.role,
      email: user.email,
      accessVersion: user.access_version,
    });
    return {
      accessToken,
      refreshToken,
      refreshTokenId: row.id,
      expiresIn: tokens.ttlSeconds,
      refreshExpiresAt,
      user: { id: user.id, email: user.email, role: user.role, displayName: user.display_name },
    };
  }

  return {
    async login(
      email: string,
      password: string,
      meta: { userAgent?: string; ip?: string } = {},
    ): Promise<SessionTokens> {
      const user = await db<UserRow>('users').whereRaw('lower(email) = lower(?)', [email]).first();
      if (!user) {
        await verifyPassword(await dummyHash, password);
        throw new AuthFailure('invalid_credentials', 'Wrong e-mail or password.');
      }
      if (user.disabled_at) throw new AuthFailure('disabled', 'This account is disabled.');
      const now = Date.now();
      if (user.locked_until && user.locked_until.getTime() > now) {
        const retry = Math.ceil((user.locked_until.getTime() - now) / 1000);
        throw new AuthFailure('locked', 'Too many failed logins; try again later.', retry);
      }
      if (!(await verifyPassword(user.password_hash, password))) {
        // Counted in SQL so that concurrent failures all count.
        const [updated] = await db('users')
          .where({ id: user.id })
          .update({
            failed_login_count: db.raw('failed_login_count + 1'),
            locked_until: db.raw(
              `case when failed_login_count + 1 >= ? then now() + make_interval(mins => ?) else locked_until end`,
              [policy.maxFailures, policy.lockoutMinutes],
            ),
          })
          .returning(['failed_login_count', 'locked_until']);
        if (updated.locked_until && new Date(updated.locked_until).getTime() > now) {
          throw new AuthFailure('locked', 'Too many failed logins; try again later.', policy.lockoutMinutes * 60);
        }
        throw new AuthFailure('invalid_credentials', 'Wrong e-mail or password.');
      }
      await db('users')
        .where({ id: user.id })
        .update({ failed_login_count: 0, locked_until: null, last_login_at: db.fn.now() });
      const { refreshTokenId: _, ...session } = await issue(user, randomUUID(), meta);
      return session;
    },

    /**
     * Rotates a refresh token. Presenting a token that was already rotated means it was stolen
     * (or replayed): the whole family — every token descended from that login — is revoked.
     */
    async refresh(refreshToken: string, meta: { userAgent?: string; ip?: string } = {}): Promise<SessionTokens> {
      const outcome = await db.transaction(async (trx) => {
        const token = await trx('refresh_tokens')
          .where({ token_hash: hashOpaqueToken(refreshToken) })
          .forUpdate()
          .first();
        if (!token || token.revoked_at || token.expires_at.getTime() <= Date.now()) {
          throw new AuthFailure('invalid_refresh', 'The session has ended; sign in again.');
        }
        if (token.rotated_at) {
          await trx('refresh_tokens')
            .where({ family_id: token.family_id })
            .whereNull('revoked_at')
            .update({ revoked_at: trx.fn.now() });
          return 'reused' as const; // committed before refusing, unlike a throw
        }
        const user = await trx<UserRow>('users').where({ id: token.user_id }).first();
        if (!user || user.disabled_at) throw new AuthFailure('disabled', 'This account is disabled.');
        const { refreshTokenId, ...session } = await issue(user, token.family_id, meta, trx);
        await trx('refresh_tokens')
          .where({ id: token.id })
          .update({ rotated_at: trx.fn.now(), replaced_by: refreshTokenId });
        return session;
      });
      if (outcome === 'reused') {
        throw new AuthFailure('refresh_reused', 'This session was used twice and has been ended; sign in again.');
      }
      return outcome;
    },

    /** Ends the session the refresh token belongs to (its whole family). Unknown tokens are ignored. */
    async logout(refreshToken: string): Promise<void> {
      const token = await db('refresh_tokens')
        .where({ token_hash: hashOpaqueToken(refreshToken) })
        .first();
      if (!token) return;
      await db('refresh_tokens')
        .where({ family_id: token.family_id })
        .whereNull('revoked_at')
        .update({ revoked_at: db.fn.now() });
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
