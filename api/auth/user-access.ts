import type { Db } from '../../platform/db.ts';
import type { Principal } from './roles.ts';
import { TokenError, type AccessClaims, type AccessTokens } from './tokens.ts';

/** How long the versions read from the database are trusted without an announcement. */
const MAX_AGE_MS = 5_000;

/**
 * Whether an access token still speaks for its user. A token is checked by its signature alone for
 * its few minutes, so a user disabled or given another role would keep the old rights until it
 * expired. The database raises a user's access version on every such change and announces it on
 * the real-time channel (migration 20261127003700); a token carries the version it was issued
 * under, and one older than its user's current version is refused. The web app's refresh then
 * gets a token with the new role, or fails for a disabled user, whose sessions were revoked.
 *
 * The versions of the users that ever changed (a store's staff: a handful of rows) are read
 * together, again once they are 5 s old, and at once after a change this process made, an
 * announcement, or a reconnect of the listener that may have missed announcements.
 */
export function createUserAccess(db: Db) {
  let versions = new Map<string, number>();
  let loadedAt = -Infinity;
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> =>
    (loading ??= (async () => {
      const startedAt = Date.now();
      const rows = (await db('users').where('access_version', '>', 0).select('id', 'access_version')) as {
        id: string;
        access_version: number;
      }[];
      const read = new Map(rows.map((r) => [r.id, r.access_version]));
      // Versions only rise: one announced while this read ran is kept even if the read missed it.
      for (const [id, version] of versions) if ((read.get(id) ?? 0) < version) read.set(id, version);
      versions = read;
      loadedAt = startedAt;
    })().finally(() => (loading = undefined)));

  return {
    async allows(claims: Pick<AccessClaims, 'userId' | 'accessVersion'>): Promise<boolean> {
      if (Date.now() - loadedAt > MAX_AGE_MS) await load();
      return claims.accessVersion >= (versions.get(claims.userId) ?? 0);
    },
    /** A change announced on the real-time channel. */
    changed(userId: string, accessVersion: number): void {
      if ((versions.get(userId) ?? 0) < accessVersion) versions.set(userId, accessVersion);
    },
    /** Read the versions again before the next check: this process changed a user, or may have missed announcements. */
    resync(): void {
      loadedAt = -Infinity;
    },
  };
}

export type UserAccess = ReturnType<typeof createUserAccess>;

/**
 * The user an access token speaks for: genuine, unexpired, and not issued before a change of the
 * user's role or status. `stillValid` asks again later (a WebSocket holds its credentials for hours).
 */
export async function verifyUserToken(
  tokens: AccessTokens,
  access: UserAccess,
  token: string,
): Promise<{ principal: Extract<Principal, { kind: 'user' }>; stillValid: () => Promise<boolean> }> {
  const { accessVersion, ...claims } = await tokens.verify(token);
  const stillValid = () => access.allows({ userId: claims.userId, accessVersion });
  if (!(await stillValid())) throw new TokenError('Your role or access changed since you signed in; sign in again.');
  return { principal: { kind: 'user', ...claims }, stillValid };
}
