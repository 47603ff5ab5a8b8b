import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, loginHref, readCookie, safeNext, SessionExpired, withQuery } from './api.ts';

type Call = { url: string; method: string; headers: Record<string, string>; body?: unknown };

/** A fake API: `responses` answer the calls in order; every call is recorded. */
function fakeApi(responses: (Response | (() => Response))[], csrf = () => 'csrf-1') {
  const calls: Call[] = [];
  const onSessionLost = vi.fn();
  const client = createApiClient({
    fetch: async (input, init) => {
      calls.push({
        url: String(input),
        method: init?.method ?? 'GET',
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: init?.body,
      });
      const next = responses.shift();
      if (!next) throw new Error(`unexpected call to ${String(input)}`);
      return typeof next === 'function' ? next() : next;
    },
    csrfToken: csrf,
    onSessionLost,
  });
  return { client, calls, onSessionLost };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status: number, title: string, extra: object = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

describe('the API client', () => {
  it('refreshes an expired session once and retries, so the page keeps its data', async () => {
    const { client, calls, onSessionLost } = fakeApi([
      problem(401, 'Unauthorized'),
      json(200, { accessToken: 'new' }),
      json(200, { items: [1, 2] }),
    ]);
    expect(await client.get('/api/customers', { query: { limit: 2 } })).toEqual({ items: [1, 2] });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/customers?limit=2',
      'POST /api/auth/refresh',
      'GET /api/customers?limit=2',
    ]);
    expect(onSessionLost).not.toHaveBeenCalled();
  });

  it('shares one refresh between requests that fail together', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const client = createApiClient({
      fetch: async (input, init) => {
        const key = `${init?.method} ${String(input)}`;
        calls.push(key);
        if (key === 'POST /api/auth/refresh') {
          await gate;
          return json(200, {});
        }
        return calls.filter((c) => c === key).length === 1 ? problem(401, 'Unauthorized') : json(200, { key });
      },
      csrfToken: () => 'x',
      onSessionLost: () => {},
    });
    const both = Promise.all([client.get('/api/a'), client.get('/api/b')]);
    await vi.waitFor(() => expect(calls).toContain('POST /api/auth/refresh'));
    release();
    expect(await both).toEqual([{ key: 'GET /api/a' }, { key: 'GET /api/b' }]);
    expect(calls.filter((c) => c === 'POST /api/auth/refresh')).toHaveLength(1);
  });

  it('sends the person to sign in when the refresh fails too, once', async () => {
    const { client, onSessionLost } = fakeApi([
      problem(401, 'Unauthorized'),
      problem(401, 'Unauthorized'),
      problem(401, 'Unauthorized'),
      problem(401, 'Unauthorized'),
    ]);
    await expect(client.get('/api/segments')).rejects.toBeInstanceOf(SessionExpired);
    await expect(client.get('/api/segments')).rejects.toBeInstanceOf(SessionExpired);
    expect(onSessionLost).toHaveBeenCalledTimes(1);
  });

  it('does not refresh when the login itself is refused', async () => {
    const { client, calls, onSessionLost } = fakeApi([problem(401, 'Unauthorized', { detail: 'Wrong password.' })]);
    const err = await client.post('/api/auth/login', { email: 'a@b.c', password: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('Wrong password.');
    expect(calls).toHaveLength(1);
    expect(onSessionLost).not.toHaveBeenCalled();
  });

  it('echoes the CSRF cookie on state-changing requests only, read fresh each time', async () => {
    let token = 'before';
    const { client, calls } = fakeApi([json(200, {}), json(200, {}), new Response(null, { status: 204 })], () => token);
    await client.get('/api/segments');
    await client.put('/api/segments/1', { name: 'VIP' });
    token = 'after-refresh';
    expect(await client.delete('/api/api-keys/1')).toBeUndefined();
    expect(calls[0]!.headers['x-csrf-token']).toBeUndefined();
    expect(calls[1]!.headers['x-csrf-token']).toBe('before');
    expect(calls[1]!.headers['content-type']).toBe('application/json');
    expect(calls[1]!.body).toBe('{"name":"VIP"}');
    expect(calls[2]!.headers['x-csrf-token']).toBe('after-refresh');
  });

  it('sends a file as it is, with its own type', async () => {
    const { client, calls } = fakeApi([json(201, { id: 'i1' })]);
    const file = new File(['external_id,email\nC-1,a@b.c\n'], 'customers.csv', { type: 'text/csv' });
    await client.post('/api/imports/customers', file, { query: { filename: 'customers.csv' } });
    expect(calls[0]!.url).toBe('/api/imports/customers?filename=customers.csv');
    expect(calls[0]!.headers['content-type']).toBe('text/csv');
    expect(calls[0]!.body).toBe(file);
  });

  it('turns a problem into an error with its field errors, keyed without the body prefix', async () => {
    const { client } = fakeApi([
      problem(400, 'Bad Request', {
        detail: 'The request body is invalid.',
        errors: [
          { path: 'body.playbook.maxMessages', message: 'Too big' },
          { path: 'body', message: 'Unrecognized key: "x"' },
        ],
      }),
    ]);
    const err = (await client.put('/api/segments/1', {}).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(400);
    expect(err.fieldErrors()).toEqual({ 'playbook.maxMessages': ['Too big'], _: ['Unrecognized key: "x"'] });
  });
});

describe('links and cookies', () => {
  it.each([
    [{ pathname: '/customers', search: '?segment=vip' }, '/login?next=%2Fcustomers%3Fsegment%3Dvip'],
    [{ pathname: '/', search: '' }, '/login'],
    [{ pathname: '/login', search: '?next=%2Fx' }, '/login'],
  ])('signs in from %o via %s', (here, href) => {
    expect(loginHref(here)).toBe(href);
  });

  it.each([
    ['/customers?x=1', '/customers?x=1'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/'],
    [null, '/'],
  ])('comes back only inside the app: %s → %s', (next, to) => {
    expect(safeNext(next)).toBe(to);
  });

  it('builds query strings without empty values', () => {
    expect(withQuery('/api/customers', { q: '', segment: 'vip', nightBuyer: false, cursor: undefined })).toBe(
      '/api/customers?segment=vip&nightBuyer=false',
    );
  });

  it('reads one cookie among many', () => {
    expect(readCookie('lma_csrf', 'a=1; lma_csrf=abc%3D; b=2')).toBe('abc=');
    expect(readCookie('lma_csrf', 'a=1')).toBeUndefined();
  });
});
