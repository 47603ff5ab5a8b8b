import { hash, randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { isRole, type Role } from './roles.ts';

const ISSUER = 'liquor-marketing-agent';
const AUDIENCE = 'lma-api';

export interface AccessClaims {
  userId: string;
  role: Role;
  email: string;
  /** The user's access version when the token was issued (api/auth/user-access.ts). */
  accessVersion: number;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export class AccessTokens {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlMinutes: number) {
    this.#key = new TextEncoder().encode(secret);
    this.#ttlSeconds = ttlMinutes * 60;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** A user who never changed role or status is at access version 0. */
  async issue(
    claims: Omit<AccessClaims, 'accessVersion'> & Partial<Pick<AccessClaims, 'accessVersion'>>,
    now = new Date(),
  ): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: claims.role, email: claims.email, av: claims.accessVersion ?? 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttlSeconds)
      .sign(this.#key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      if (!payload.sub || !isRole(payload.role) || typeof payload.email !== 'string') {
        throw new TokenError('malformed access token');
      }
      // Tokens issued before access versions existed speak for version 0.
      const accessVersion = payload.av === undefined ? 0 : payload.av;
      if (typeof accessVersion !== 'number' || !Number.isInteger(accessVersion)) {
        throw new TokenError('malformed access token');
      }
      return { userId: payload.sub, role: payload.role, email: payload.email, accessVersion };
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('access token expired');
      throw new TokenError('invalid access token');
    }
  }
}

/** Refresh tokens and API keys are long random strings; a fast hash is enough to store them. */
export function hashOpaqueToken(token: string): string {
  // The one-shot form: every API-key request hashes its key, and a Hash object a call cost more.
  return hash('sha256', token, 'hex');
}

export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
