import express from 'express';
import { describe, expect, it } from 'vitest';
import { listen } from './server.ts';
import { sendSharedJson, singleFlight } from './single-flight.ts';

describe('singleFlight', () => {
  it('gives callers who arrive during a read that read’s answer, and reads afresh once it settles', async () => {
    let reads = 0;
    let release!: () => void;
    const read = singleFlight(
      async (id: string) => {
        reads++;
        await new Promise<void>((resolve) => (release = resolve));
        return `${id}#${reads}`;
      },
      (id) => id,
    );
    const first = read('a');
    const second = read('a');
    release();
    expect(await Promise.all([first, second])).toEqual(['a#1', 'a#1']);
    const third = read('a');
    release();
    expect(await third).toBe('a#2');
    expect(reads).toBe(2);
  });

  it('keeps different keys apart', async () => {
    const read = singleFlight(
      async (id: string) => id.toUpperCase(),
      (id) => id,
    );
    expect(await Promise.all([read('a'), read('b')])).toEqual(['A', 'B']);
  });

  it('passes a failure to every waiting caller and does not keep it', async () => {
    let fail = true;
    const read = singleFlight(
      async () => {
        if (fail) throw new Error('database gone');
        return 'ok';
      },
      () => 'k',
    );
    const results = await Promise.allSettled([read(undefined), read(undefined)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await read(undefined)).toBe('ok');
  });
});

describe('sendSharedJson', () => {
  it('answers JSON with an ETag, the same bytes to every request that shares the object, and 304 when unchanged', async () => {
    const shared = { items: [{ id: 'a', name: 'Ännie' }], nextCursor: null };
    let stringified = 0;
    const app = express();
    app.get('/page', (_req, res) => {
      const watched = { ...shared, toJSON: () => (stringified++, shared) };
      sendSharedJson(res, app.locals.page ?? (app.locals.page = watched));
    });
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const first = await fetch(`${server.url}/page`);
      const second = await fetch(`${server.url}/page`);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await first.json()).toEqual(shared);
      expect(await second.text()).toBe(JSON.stringify(shared));
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^W\//);
      expect(second.headers.get('etag')).toBe(etag);
      expect(stringified).toBe(1);
      const unchanged = await fetch(`${server.url}/page`, {
        // fetch adds `cache-control: no-cache` to a conditional request unless told otherwise.
        headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
      });
      expect(unchanged.status).toBe(304);
    } finally {
      await server.close(1_000);
    }
  });
});
