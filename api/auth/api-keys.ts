import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../platform/db.ts';
import type { Principal, Role } from './roles.ts';
import { singleFlight } from '../single-flight.ts';
import { hashOpaqueToken, newOpaqueToken } from './tokens.ts';

/** What an API key may be scoped to; a key can do only what its role AND its scopes allow. */
export const apiKeyScopes = ['import', 'events', 'orders', 'campaigns', 'read', 'metrics'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

const KEY_PATTERN = /^lma_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('lma_');
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  scopes: string[];
  /** The whole key, shown once at creation; only its hash is kept. */
  key: string;
}

function newPrefix(): string {
  return newOpaqueToken(12)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)
    .padEnd(12, '0');
}

/**
 * How long a verified key is trusted without reading its row again. A revocation takes effect at
 * once: through this process directly, through another (or straight in the database) by the
 * database's notice (`forget`); this is the bound when a notice is missed. Expiry is checked on
 * every request.
 */
export const VERIFIED_KEY_MS = 5_000;
const MAX_VERIFIED_KEYS = 10_000;
const LAST_USED_EVERY_MS = 60_000;

type ApiKeyPrincipal = Extract<Principal, { kind: 'api_key' }>;

interface VerifiedKey {
  principal: ApiKeyPrincipal;
  expiresAt: number | null;
  verifiedAt: number;
  lastUsedAt: number;
}

export function createApiKeys(db: Db, options: { verifiedKeyMs?: number; now?: () => number } = {}) {
  const verifiedKeyMs = options.verifiedKeyMs ?? VERIFIED_KEY_MS;
  const now = options.now ?? Date.now;
  // Every request of an integration presents its key: reading the row each time was a database
  // round trip per request. Keyed by the key's hash, as it is stored, never by the key itself.
  const verified = new Map<string, VerifiedKey>();
  // A lookup that started before a revocation must not put the key back once it is done.
  let revocations = 0;

  /** At most one write a minute per key, and none while another process recorded it that minute. */
  async function recordUse(id: string) {
    await db('api_keys')
      .where({ id })
      .where((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
      .update({ last_used_at: db.fn.now() });
  }

  /**
   * Reads and checks a key's row. Requests presenting the same key while it is read share the
   * read (a verified key's expiry sends every connection of an integration here at once), but
   * never across a revocation: a lookup that began before one answers only the requests that
   * came before it.
   */
  const lookUp = singleFlight(
    async (key: { prefix: string; hash: string; at: number }): Promise<ApiKeyPrincipal | undefined> => {
      const revocationsBefore = revocations;
      const row = await db('api_keys').where({ prefix: key.prefix }).first();
      if (!row || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= key.at)) return undefined;
      const expected = Buffer.from(row.key_hash, 'hex');
      const actual = Buffer.from(key.hash, 'hex');
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
      // The row just read says whether this minute's use is recorded already.
      const recentlyRecorded = row.last_used_at && key.at - row.last_used_at.getTime() < LAST_USED_EVERY_MS;
      if (!recentlyRecorded) await recordUse(row.id);
      const principal: ApiKeyPrincipal = Object.freeze({
        kind: 'api_key',
        apiKeyId: row.id,
        role: row.role,
        scopes: Object.freeze([...row.scopes]) as string[],
        name: row.name,
      });
      if (revocations === revocationsBefore && verifiedKeyMs > 0) {
        // Oldest first: a Map iterates in insertion order.
        if (verified.size >= MAX_VERIFIED_KEYS) verified.delete(verified.keys().next().value!);
        verified.set(key.hash, {
          principal,
          expiresAt: row.expires_at ? row.expires_at.getTime() : null,
          verifiedAt: key.at,
          lastUsedAt: recentlyRecorded ? row.last_used_at.getTime() : key.at,
        });
      }
      return principal;
    },
    (key) => `${key.hash}:${revocations}`,
  );

  function forget(id: string): void {
    revocations++;
    for (const [hash, entry] of verified) if (entry.principal.apiKeyId === id) verified.delete(hash);
  }

  return {
    async create(input: {
      name: string;
      role: Role;
      scopes: ApiKeyScope[];
      createdBy?: string;
      expiresAt?: Date;
    }): Promise<CreatedApiKey> {
      const prefix = newPrefix();
      const key = `lma_${prefix}_${newOpaqueToken(32)}`;
      const [row] = await db('api_keys')
        .insert({
          name: input.name,
          prefix,
          key_hash: hashOpaqueToken(key),
          role: input.role,
          scopes: input.scopes,
          created_by: input.createdBy,
          expires_at: input.expiresAt,
        })
        .returning(['id']);
      return { id: row.id, name: input.name, prefix, role: input.role, scopes: input.scopes, key };
    },

    async list() {
      return db('api_keys')
        .select('id', 'name', 'prefix', 'role', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at')
        .orderBy('created_at', 'desc');
    },

    async revoke(id: string): Promise<boolean> {
      const n = await db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
      forget(id);
      return n > 0;
    },

    /**
     * Stops trusting a key revoked elsewhere: another API process, or straight in the database
     * (the database announces it, api/realtime/socket.ts listens). Its next request reads the row.
     */
    forget,

    /** The principal for a presented key, or undefined when it is unknown, revoked or expired. */
    async authenticate(presented: string): Promise<ApiKeyPrincipal | undefined> {
      const match = KEY_PATTERN.exec(presented);
      if (!match) return undefined;
      const hash = hashOpaqueToken(presented);
      const at = now();
      const known = verified.get(hash);
      if (known && at - known.verifiedAt < verifiedKeyMs && (known.expiresAt === null || known.expiresAt > at)) {
        if (at - known.lastUsedAt >= LAST_USED_EVERY_MS) {
          known.lastUsedAt = at;
          await recordUse(known.principal.apiKeyId);
        }
        return known.principal;
      }
      if (known) verified.delete(hash);

      return lookUp({ prefix: match[1]!, hash, at });
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
