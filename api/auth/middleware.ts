import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { AccessRule, RouteKey } from '../access.ts';
import { ruleFor } from '../access.ts';
import { HttpProblem } from '../problem.ts';
import { recordServedRoute, validateInput, type RouteHandler, type RouteInput, type RouteSpec } from '../route-spec.ts';
import { looksLikeApiKey, type ApiKeys } from './api-keys.ts';
import type { Principal } from './roles.ts';
import { TokenError, type AccessTokens } from './tokens.ts';
import { verifyUserToken, type UserAccess } from './user-access.ts';

export const ACCESS_COOKIE = 'lma_access';
export const REFRESH_COOKIE = 'lma_refresh';
export const CSRF_COOKIE = 'lma_csrf';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'express-serve-static-core' {
  interface Locals {
    requestId: string;
    principal?: Principal;
    authError?: string;
    routeKey?: string;
    routeParams?: Record<string, string>;
    /** Extra audit details a handler wants recorded (entity id, before/after). */
    audit?: { entityId?: string; before?: unknown; after?: unknown; [k: string]: unknown };
  }
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Finds out who is calling. API clients send `Authorization: Bearer <access token | API key>`;
 * the web app sends the access token in an httpOnly cookie, and for state-changing requests also
 * the CSRF token it read from the `lma_csrf` cookie (double submit). Whether the caller may use
 * the route is decided later, per route.
 */
export function authenticate(deps: { tokens: AccessTokens; apiKeys: ApiKeys; userAccess: UserAccess }): RequestHandler {
  const userFrom = async (token: string) => (await verifyUserToken(deps.tokens, deps.userAccess, token)).principal;
  return async (req, res, next) => {
    const header = req.get('authorization');
    try {
      if (header) {
        const [scheme, token] = header.split(' ', 2);
        if (scheme?.toLowerCase() !== 'bearer' || !token) {
          res.locals.authError = 'Use the Bearer scheme.';
        } else if (looksLikeApiKey(token)) {
          const principal = await deps.apiKeys.authenticate(token);
          if (principal) res.locals.principal = principal;
          else res.locals.authError = 'Unknown, revoked or expired API key.';
        } else {
          res.locals.principal = await userFrom(token);
        }
      } else {
        const cookie = (req.cookies as Record<string, string> | undefined)?.[ACCESS_COOKIE];
        if (cookie) {
          if (unsafe.has(req.method) && !csrfMatches(req)) {
            res.locals.authError = 'Missing or wrong CSRF token.';
          } else {
            res.locals.principal = await userFrom(cookie);
          }
        }
      }
      next();
    } catch (err) {
      if (err instanceof TokenError) {
        res.locals.authError = err.message;
        return next();
      }
      next(err);
    }
  };
}

function csrfMatches(req: Request): boolean {
  const cookie = (req.cookies as Record<string, string> | undefined)?.[CSRF_COOKIE];
  const header = req.get(CSRF_HEADER);
  return !!cookie && !!header && cookie.length >= 16 && cookie === header;
}

export function authorize(rule: AccessRule): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    if ('public' in rule) return next();
    const principal = res.locals.principal;
    if (!principal) {
      return next(new HttpProblem(401, 'Unauthorized', res.locals.authError ?? 'Sign in or send a token.'));
    }
    if (!rule.roles.includes(principal.role)) {
      return next(new HttpProblem(403, 'Forbidden', `The ${principal.role} role may not do this.`));
    }
    if (principal.kind === 'api_key' && (!rule.apiKey || !principal.scopes.includes(rule.apiKey))) {
      return next(new HttpProblem(403, 'Forbidden', 'This API key is not allowed to do this.'));
    }
    next();
  };
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Registers a route under its access rule; a key missing from the table fails at start-up.
 * Given a spec, the route validates its input with the spec's schemas after any middleware
 * (body parsers, limits, signature checks) and hands it, typed, to the last handler.
 */
export function route<S extends RouteSpec>(
  router: Router,
  spec: S,
  ...handlers: [...RequestHandler[], RouteHandler<S>]
): void;
export function route(router: Router, key: RouteKey, ...handlers: RequestHandler[]): void;
export function route(router: Router, keyOrSpec: RouteKey | RouteSpec, ...handlers: unknown[]): void {
  const key = typeof keyOrSpec === 'string' ? keyOrSpec : keyOrSpec.key;
  const rule = ruleFor(key);
  if (!rule) throw new Error(`No access rule for ${key}`);
  const [method, path] = key.split(' ') as [string, string];
  const tag: RequestHandler = (req, res, next) => {
    res.locals.routeKey = key;
    res.locals.routeParams = { ...req.params } as Record<string, string>;
    next();
  };
  const chain = handlers as RequestHandler[];
  if (typeof keyOrSpec !== 'string') {
    recordServedRoute(keyOrSpec);
    const handle = chain.pop() as unknown as RouteHandler<RouteSpec>;
    chain.push(validateInput(keyOrSpec), (req, res) => handle(req, res, res.locals.input as RouteInput<RouteSpec>));
  }
  router[method.toLowerCase() as Method](path, tag, authorize(rule), ...chain);
}
