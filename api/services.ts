import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { resolveSecret } from '../platform/secrets.ts';
import { createApiKeys } from './auth/api-keys.ts';
import { createSessions } from './auth/sessions.ts';
import { AccessTokens } from './auth/tokens.ts';
import { createUserAccess } from './auth/user-access.ts';

type AuthConfig = Pick<
  Config,
  | 'AUTH_SECRET'
  | 'AUTH_SECRET_FILE'
  | 'dataDir'
  | 'ACCESS_TOKEN_MINUTES'
  | 'REFRESH_TOKEN_DAYS'
  | 'LOGIN_MAX_FAILURES'
  | 'LOGIN_LOCKOUT_MINUTES'
>;

/** The API's services, built once per process from the db handle and config. */
export function createApiServices(db: Db, cfg: AuthConfig) {
  const secret = resolveSecret({
    value: cfg.AUTH_SECRET,
    file: cfg.AUTH_SECRET_FILE,
    dataDir: cfg.dataDir,
    name: 'auth-secret',
  });
  const tokens = new AccessTokens(secret, cfg.ACCESS_TOKEN_MINUTES);
  return {
    tokens,
    sessions: createSessions(db, tokens, {
      refreshTokenDays: cfg.REFRESH_TOKEN_DAYS,
      maxFailures: cfg.LOGIN_MAX_FAILURES,
      lockoutMinutes: cfg.LOGIN_LOCKOUT_MINUTES,
    }),
    apiKeys: createApiKeys(db),
    userAccess: createUserAccess(db),
  };
}
