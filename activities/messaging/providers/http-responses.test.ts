import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTimeout, observeHttp, retryAfterMs } from './http-responses.ts';

let server: Server;
let url: string;

beforeAll(async () => {
  // /<delay>/<retry-after>: answers 429 after `delay` ms with that Retry-After.
  server = createServer((req, res) => {
    const [, delay, retryAfter] = (req.url ?? '').split('/');
    setTimeout(() => {
      res.writeHead(429, { 'retry-after': retryAfter });
      res.end();
    }, Number(delay));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${url}${path}`, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('observeHttp', () => {
  it('gives each call its own response, even when answers arrive out of order', async () => {
    const calls = [
      ['/120/1', '1'],
      ['/10/2', '2'],
      ['/60/3', '3'],
    ] as const;
    const outcomes = await Promise.all(calls.map(([path]) => observeHttp(() => get(path))));
    expect(outcomes.map((o) => o.response?.headers['retry-after'])).toEqual(calls.map(([, retryAfter]) => retryAfter));
    expect(outcomes.map((o) => o.ok && o.value)).toEqual([429, 429, 429]);
  });

  it('has no response when the connection is refused', async () => {
    const refused = await observeHttp(
      () =>
        new Promise((resolve, reject) => {
          request('http://127.0.0.1:1', resolve).on('error', reject).end();
        }),
    );
    expect(refused).toMatchObject({ ok: false, response: undefined });
    expect(refused.ok || (refused.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-06-15T17:00:00Z');
  it.each([
    ['7', 7_000],
    [' 0 ', 0],
    ['Mon, 15 Jun 2026 17:00:30 GMT', 30_000],
    ['Mon, 15 Jun 2026 16:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
  ])('reads %j as %s ms', (value, ms) => {
    expect(retryAfterMs({ 'retry-after': value }, now)).toBe(ms);
  });
});

describe('isTimeout', () => {
  it.each([
    [{ code: 'ECONNABORTED', message: 'timeout of 300ms exceeded' }, true],
    [{ statusText: 'ETIMEDOUT' }, true],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, false],
    [null, false],
  ])('%o → %s', (error, expected) => {
    expect(isTimeout(error)).toBe(expected);
  });
});
