import type { RequestHandler } from 'express';

/**
 * Middlewares run in order as one. Express matches every layer of the app against the path and
 * wraps each call in closures of its own; for the half-dozen middlewares every request passes
 * through, that was a sizeable share of what a request allocated (BENCHMARKS.md, `api`). As in
 * Express 5, an error passed to `next`, thrown, or rejected by a returned promise skips the rest
 * and goes to the app's error handler.
 */
export function series(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, done) => {
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) return done(err);
      const handler = handlers[i++];
      if (!handler) return done();
      try {
        const result = handler(req, res, next) as unknown;
        if (result instanceof Promise) result.catch((error: unknown) => done(error ?? new Error('Rejected promise')));
      } catch (error) {
        done(error);
      }
    };
    next();
  };
}
