import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Router } from 'express';
import { decodeJwt } from 'jose';
import type pg from 'pg';
import { WebSocketServer } from 'ws';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { ruleFor } from '../access.ts';
import { looksLikeApiKey, type ApiKeys } from '../auth/api-keys.ts';
import { ACCESS_COOKIE, route } from '../auth/middleware.ts';
import type { Principal } from '../auth/roles.ts';
import { TokenError, type AccessTokens } from '../auth/tokens.ts';
import { verifyUserToken, type UserAccess } from '../auth/user-access.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';
import { createHub, type HubOptions } from './hub.ts';
import { startListener } from './listener.ts';
import { REALTIME_PATH } from './protocol.ts';

export interface RealtimeOptions extends Pick<HubOptions, 'windowMs' | 'heartbeatMs' | 'limits'> {
  db: Db;
  log: Logger;
  tokens: AccessTokens;
  apiKeys: ApiKeys;
  userAccess: UserAccess;
  /** The listener's own connection (not one of the pool's). */
  connection: pg.ClientConfig;
  /** Origins besides the API's own host that may open a socket: PUBLIC_URL, a CORS allow-list. */
  allowedOrigins: string[];
  listenerBackoff?: { initialMs: number; maxMs: number };
}

export interface Realtime {
  /** Handles WebSocket upgrades at /ws on the API's HTTP server. */
  attach(server: http.Server): void;
  /** Resolves once the database listener is in place. */
  ready: Promise<void>;
  hub: ReturnType<typeof createHub>;
  readonly listening: boolean;
  /** Refuses new sockets, closes the open ones (1001) and the listener. */
  close(): Promise<void>;
}

/** Plain GETs at /ws get 426 (after the access check), so the route sits in the access table like every other. */
export const realtimeRoutes = {
  socket: defineRoute({
    key: 'GET /ws',
    tag: 'Real-time',
    summary: 'The real-time WebSocket: campaign progress and engagement events as they happen',
    description: 'Open with a WebSocket upgrade (the session cookie or a Bearer token); see api/realtime/protocol.ts.',
    responses: { 101: { description: 'Switching to the WebSocket protocol.', mediaType: 'application/octet-stream' } },
    problems: { 426: 'A plain GET: open a WebSocket at this address.' },
  }),
};

export function realtimeRouter(): Router {
  const router = Router();
  route(router, realtimeRoutes.socket, () => {
    throw new HttpProblem(426, 'Upgrade Required', 'Open a WebSocket at this address.', {
      headers: { upgrade: 'websocket', connection: 'Upgrade' },
    });
  });
  return router;
}

class UpgradeRefused extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

const reasons: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function refuse(socket: Duplex, status: number, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: reasons[status], status, detail, instance: REALTIME_PATH });
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The real-time endpoint. An upgrade is checked before the handshake: the Origin (a browser
 * sends the access cookie to any site's socket, so only our own pages may open one), then the
 * credentials — `Authorization: Bearer` (an access token or an API key with the `read` scope) or
 * the access-token cookie — then the role, by the access table's rule for `GET /ws`.
 */
export function createRealtime(opts: RealtimeOptions): Realtime {
  const rule = ruleFor('GET /ws');
  const hub = createHub(opts);
  const listener = startListener({
    connection: opts.connection,
    log: opts.log,
    // A key revoked, or a user's access changed, by another process (or in the database) is not
    // trusted here a moment longer.
    onNotification: (n) => {
      if (n.kind === 'api_key_revoked') opts.apiKeys.forget(n.apiKeyId);
      else if (n.kind === 'user_access_changed') opts.userAccess.changed(n.userId, n.accessVersion);
      else hub.notify(n);
    },
    onReconnect: () => {
      opts.userAccess.resync();
      hub.resync();
    },
    backoff: opts.listenerBackoff,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  const allowed = new Set(opts.allowedOrigins.map((o) => new URL(o).origin));
  let closing = false;

  const checkOrigin = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return; // not a browser: it proves itself with its credentials alone
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new UpgradeRefused(403, 'This origin may not open a WebSocket here.');
    }
    if (url.host === req.headers.host || allowed.has(url.origin)) return;
    throw new UpgradeRefused(403, 'This origin may not open a WebSocket here.');
  };

  const authenticate = async (
    req: http.IncomingMessage,
  ): Promise<{ principal: Principal; expiresAt?: number; stillValid?: () => Promise<boolean> }> => {
    const header = req.headers.authorization;
    const [scheme, bearer] = header?.split(' ', 2) ?? [];
    if (header && (scheme?.toLowerCase() !== 'bearer' || !bearer))
      throw new UpgradeRefused(401, 'Use the Bearer scheme.');
    if (bearer && looksLikeApiKey(bearer)) {
      const principal = await opts.apiKeys.authenticate(bearer);
      if (!principal) throw new UpgradeRefused(401, 'Unknown, revoked or expired API key.');
      return { principal, stillValid: async () => (await opts.apiKeys.authenticate(bearer)) !== undefined };
    }
    const token = bearer ?? cookieValue(req.headers.cookie, ACCESS_COOKIE);
    if (!token) throw new UpgradeRefused(401, 'Sign in or send a token.');
    try {
      const { principal, stillValid } = await verifyUserToken(opts.tokens, opts.userAccess, token);
      const exp = decodeJwt(token).exp;
      return { principal, stillValid, expiresAt: exp === undefined ? undefined : exp * 1000 };
    } catch (err) {
      if (err instanceof TokenError) throw new UpgradeRefused(401, err.message);
      throw err;
    }
  };

  const authorize = (principal: Principal) => {
    if ('public' in rule!) return;
    if (!rule!.roles.includes(principal.role))
      throw new UpgradeRefused(403, `The ${principal.role} role may not do this.`);
    if (principal.kind === 'api_key' && (!rule!.apiKey || !principal.scopes.includes(rule!.apiKey))) {
      throw new UpgradeRefused(403, 'This API key is not allowed to do this.');
    }
  };

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      try {
        if (new URL(req.url ?? '/', 'http://x').pathname !== REALTIME_PATH)
          throw new UpgradeRefused(404, 'No WebSocket here.');
        if (closing) throw new UpgradeRefused(503, 'The server is shutting down.');
        checkOrigin(req);
        const { principal, ...credentials } = await authenticate(req);
        authorize(principal);
        if (closing) throw new UpgradeRefused(503, 'The server is shutting down.');
        wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws, principal, credentials));
      } catch (err) {
        if (err instanceof UpgradeRefused) return refuse(socket, err.status, err.message);
        opts.log.error({ err }, 'WebSocket upgrade failed');
        refuse(socket, 503, 'Try again later.');
      }
    })();
  };

  return {
    attach(server) {
      server.on('upgrade', onUpgrade);
    },
    ready: listener.ready,
    hub,
    get listening() {
      return listener.listening;
    },
    async close() {
      closing = true;
      hub.close();
      await listener.close();
      await new Promise<void>((resolve) => {
        // Clients that do not answer the close handshake in time are cut off.
        const timer = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 2_000);
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
        if (wss.clients.size === 0) clearTimeout(timer);
      });
    },
  };
}
