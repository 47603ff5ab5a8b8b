import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../platform/db.ts';
import type { Principal, Role } from './roles.ts';
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

export function createApiKeys(db: Db) {
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
      return n > 0;
    },

    /** The principal for a presented key, or undefined when it is unknown, revoked or expired. */
    async authenticate(presented: string): Promise<Extract<Principal, { kind: 'api_key' }> | undefined> {
      const match = KEY_PATTERN.exec(presented);
      if (!match) return undefined;
      const row = await db('api_keys').where({ prefix: match[1] }).first();
      if (!row || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
      const expected = Buffer.from(row.key_hash, 'hex');
      const actual = Buffer.from(hashOpaqueToken(presented), 'hex');
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
      // At most one write a minute per key, so a busy integration does not write on every request;
      // the row just read says whether one is due, so most requests skip the round trip too.
      const recentlyRecorded = row.last_used_at && Date.now() - row.last_used_at.getTime() < 60_000;
      if (!recentlyRecorded) {
        await db('api_keys')
          .where({ id: row.id })
          .where((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
          .update({ last_used_at: db.fn.now() });
      }
      return { kind: 'api_key', apiKeyId: row.id, role: row.role, scopes: row.scopes, name: row.name };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
