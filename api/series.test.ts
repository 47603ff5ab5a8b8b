import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { series } from './series.ts';
import { listen, type ApiServer } from './server.ts';

describe('middleware series', () => {
  let server: ApiServer;
  beforeAll(async () => {
    const app = express();
    const mark =
      (name: string): RequestHandler =>
      (_req, res, next) => {
        res.locals.ran = [...((res.locals.ran as string[] | undefined) ?? []), name];
        next();
      };
    const fail: Record<string, RequestHandler> = {
      next: (_req, _res, next) => next(new Error('passed to next')),
      throw: () => {
        throw new Error('thrown');
      },
      reject: async () => {
        await Promise.resolve();
        throw new Error('rejected');
      },
    };
    app.use(
      series(
        mark('a'),
        mark('b'),
        (req, res, next) => {
          const how = req.query.fail as string | undefined;
          return how ? fail[how]!(req, res, next) : next();
        },
        mark('c'),
      ),
    );
    app.get('/', (_req, res) => {
      res.json({ ran: res.locals.ran });
    });
    const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
      res.status(500).json({ error: err.message, ran: res.locals.ran });
    };
    app.use(onError);
    server = await listen(app, 0, '127.0.0.1');
  });
  afterAll(async () => server.close(1_000));

  const get = async (query = '') => {
    const res = await fetch(`${server.url}/${query}`);
    return { status: res.status, body: await res.json() };
  };

  it('runs the middlewares in order, then the app goes on', async () => {
    expect(await get()).toEqual({ status: 200, body: { ran: ['a', 'b', 'c'] } });
  });

  it('sends an error passed to next, thrown or rejected to the error handler, skipping the rest', async () => {
    expect(await get('?fail=next')).toEqual({ status: 500, body: { error: 'passed to next', ran: ['a', 'b'] } });
    expect(await get('?fail=throw')).toEqual({ status: 500, body: { error: 'thrown', ran: ['a', 'b'] } });
    expect(await get('?fail=reject')).toEqual({ status: 500, body: { error: 'rejected', ran: ['a', 'b'] } });
  });
});
