import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { healthRouter, type ReadinessProbe } from './routes/health.ts';

export interface ApiDeps {
  db: Db;
  log: Logger;
  /** Temporal reachability, from the process's one Temporal client. */
  temporalReady: ReadinessProbe;
}

/** The problem+json body (RFC 9457) every error response uses. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId: string;
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  constructor(status: number, title: string, detail?: string) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = id;
  res.setHeader('x-request-id', id);
  next();
};

function sendProblem(res: express.Response, status: number, title: string, detail?: string): void {
  const body: Problem = {
    type: 'about:blank',
    title,
    status,
    ...(detail ? { detail } : {}),
    instance: res.req.originalUrl,
    requestId: String(res.locals.requestId),
  };
  res.status(status).type('application/problem+json').json(body);
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestId);
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRouter({ db: deps.db, temporalReady: deps.temporalReady }));

  app.use('/api', (_req, res) => sendProblem(res, 404, 'Not Found', 'No such API route.'));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    if (err instanceof HttpProblem) return sendProblem(res, err.status, err.title, err.detail);
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      return sendProblem(res, status, (err as Error).name || 'Bad Request', (err as Error).message);
    }
    deps.log.error({ err, requestId: res.locals.requestId, path: req.path }, 'unhandled error');
    sendProblem(res, 500, 'Internal Server Error');
  };
  app.use(onError);
  return app;
}
