import { randomBytes } from 'node:crypto';
import { Router, type CookieOptions, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, route } from '../auth/middleware.ts';
import { AuthFailure, type SessionTokens, type Sessions } from '../auth/sessions.ts';
import { roles } from '../auth/roles.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

const credentials = z.strictObject({ email: z.string().trim().max(320), password: z.string().min(1).max(1024) });
// API clients send the refresh token in the body; the web app's is in its httpOnly cookie.
const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200).optional() });

const session = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    user: z.object({ id: z.uuid(), email: z.string(), role: z.enum(roles), displayName: z.string().nullable() }),
  })
  .meta({ id: 'Session' });
const sessionCookies = {
  'set-cookie': `${ACCESS_COOKIE} and ${REFRESH_COOKIE} (httpOnly), and ${CSRF_COOKIE} for the X-CSRF-Token header.`,
};

export const authRoutes = {
  login: defineRoute({
    key: 'POST /api/auth/login',
    tag: 'Auth',
    summary: 'Sign in with e-mail and password',
    description: 'Rate-limited per address; an account locks for a while after repeated failures.',
    body: credentials,
    responses: {
      200: { description: 'The session, in the body and as cookies.', schema: session, headers: sessionCookies },
    },
    problems: {
      401: 'Wrong e-mail or password, or a disabled account.',
      429: 'Too many attempts, or the account is locked.',
    },
  }),
  refresh: defineRoute({
    key: 'POST /api/auth/refresh',
    tag: 'Auth',
    summary: 'Trade a refresh token for a new session',
    description:
      'The refresh token comes in the body (API clients) or its cookie (web app). It rotates on every use; ' +
      'presenting one that was already rotated revokes its whole family.',
    body: refreshBody,
    responses: {
      200: { description: 'The new session, in the body and as cookies.', schema: session, headers: sessionCookies },
    },
    problems: { 401: 'No, an unknown, expired or reused refresh token.' },
  }),
  logout: defineRoute({
    key: 'POST /api/auth/logout',
    tag: 'Auth',
    summary: "Revoke the session's refresh token and clear the cookies",
    body: refreshBody,
    responses: { 204: { description: 'Signed out.' } },
  }),
  me: defineRoute({
    key: 'GET /api/auth/me',
    tag: 'Auth',
    summary: 'Who the caller is: a signed-in user or an API key',
    responses: { 200: { description: 'The principal.' } },
  }),
};

const cookieBase: CookieOptions = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' };

function setSessionCookies(res: Response, session: SessionTokens): void {
  res.cookie(ACCESS_COOKIE, session.accessToken, { ...cookieBase, maxAge: session.expiresIn * 1000 });
  res.cookie(REFRESH_COOKIE, session.refreshToken, {
    ...cookieBase,
    path: '/api/auth',
    expires: session.refreshExpiresAt,
  });
  // Readable by the web app's script, which echoes it in X-CSRF-Token (double submit).
  res.cookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), { ...cookieBase, httpOnly: false });
}

/** Cookies for the web app, and the same tokens in the body for API clients. */
function sendSession(res: Response, session: SessionTokens): void {
  setSessionCookies(res, session);
  res.json({
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    tokenType: 'Bearer',
    expiresIn: session.expiresIn,
    user: session.user,
  });
}

function clearSessionCookies(res: Response): void {
  res.clearCookie(ACCESS_COOKIE, cookieBase);
  res.clearCookie(REFRESH_COOKIE, { ...cookieBase, path: '/api/auth' });
  res.clearCookie(CSRF_COOKIE, { ...cookieBase, httpOnly: false });
}

function toProblem(err: unknown): unknown {
  if (!(err instanceof AuthFailure)) return err;
  if (err.reason === 'locked') {
    return new HttpProblem(429, 'Too Many Requests', err.message, {
      headers: { 'retry-after': String(err.retryAfterSeconds ?? 60) },
    });
  }
  return new HttpProblem(401, 'Unauthorized', err.message);
}

function presentedRefreshToken(req: Request, body: z.infer<typeof refreshBody>): string | undefined {
  return body.refreshToken ?? (req.cookies as Record<string, string> | undefined)?.[REFRESH_COOKIE];
}

function meta(req: Request) {
  return { userAgent: req.get('user-agent'), ip: req.ip };
}

export function authRouter(deps: { sessions: Sessions; loginAttemptsPerMinute: number }): Router {
  const router = Router();
  // Per-address limit on top of the per-account lockout, against password spraying.
  const loginLimit = rateLimit({
    windowMs: 60_000,
    limit: deps.loginAttemptsPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new HttpProblem(429, 'Too Many Requests', 'Too many login attempts.')),
  });

  route(router, authRoutes.login, loginLimit, async (req, res, { body: { email, password } }) => {
    res.locals.audit = { email: email.toLowerCase() };
    try {
      const session = await deps.sessions.login(email, password, meta(req));
      res.locals.audit.entityId = session.user.id;
      sendSession(res, session);
    } catch (err) {
      throw toProblem(err);
    }
  });

  route(router, authRoutes.refresh, async (req, res, { body }) => {
    const token = presentedRefreshToken(req, body);
    if (!token) throw new HttpProblem(401, 'Unauthorized', 'No refresh token.');
    try {
      const session = await deps.sessions.refresh(token, meta(req));
      res.locals.audit = { entityId: session.user.id };
      sendSession(res, session);
    } catch (err) {
      clearSessionCookies(res);
      throw toProblem(err);
    }
  });

  route(router, authRoutes.logout, async (req, res, { body }) => {
    const token = presentedRefreshToken(req, body);
    if (token) await deps.sessions.logout(token);
    clearSessionCookies(res);
    res.status(204).end();
  });

  route(router, authRoutes.me, (_req, res) => {
    res.json({ principal: res.locals.principal });
  });

  return router;
}
