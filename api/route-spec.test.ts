import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpProblem } from './problem.ts';
import { defineRoute, validateInput, type RouteSpec } from './route-spec.ts';

const spec = defineRoute({
  key: 'POST /api/events',
  tag: 'Events',
  summary: 'test',
  body: z.object({ items: z.array(z.object({ name: z.string() })) }),
  responses: {},
});

/** Runs the spec's validation over a request with these parts; answers the problem it threw, if any. */
function validate(parts: { params?: object; query?: object; body?: unknown }, routeSpec: RouteSpec = spec) {
  const req = { params: {}, query: {}, headers: {}, is: () => 'application/json', ...parts } as unknown as Request;
  const res = { locals: {} } as Response;
  let passed = false;
  try {
    validateInput(routeSpec)(req, res, () => (passed = true));
  } catch (err) {
    if (err instanceof HttpProblem) return { problem: err, res };
    throw err;
  }
  return { passed, res };
}

describe('route input validation', () => {
  it('names where a NUL character hides: in a value, deep in the body, or in a key', () => {
    expect(validate({ body: { items: [{ name: 'ok' }, { name: 'b\u0000d' }] } }).problem?.errors).toEqual([
      { path: 'body.items.1.name', message: 'contains a NUL character' },
    ]);
    expect(validate({ query: { q: 'x\u0000' } }).problem?.errors).toEqual([
      { path: 'query.q', message: 'contains a NUL character' },
    ]);
    expect(validate({ body: { items: [], ['k\u0000']: 1 } }).problem?.errors).toEqual([
      { path: 'body', message: 'contains a NUL character' },
    ]);
    expect(validate({ body: { items: [{ name: 'ok' }] } }).problem).toBeUndefined();
  });

  it('refuses unpaired surrogates, which are not Unicode, and lets a pair through', () => {
    expect(validate({ body: { items: [{ name: 'x\uD800' }] } }).problem?.errors).toEqual([
      { path: 'body.items.0.name', message: 'is not valid Unicode (an unpaired surrogate)' },
    ]);
    expect(validate({ query: { q: '\uDC00' } }).problem?.status).toBe(400);
    expect(validate({ body: { items: [{ name: 'Rye 🥃' }] } }).passed).toBe(true);
  });

  it('repairs the body of a provider route instead of refusing it, keys included', () => {
    const provider = { ...spec, repairsText: true };
    const body = { items: [{ name: 'b\u0000d' }, { name: 'x\uD800y' }], ['k\u0000']: '\uDC00', pair: '🍾' };
    const { passed, res } = validate({ body }, provider);
    expect(passed).toBe(true);
    expect(res.locals.input).toMatchObject({
      body: { items: [{ name: 'b\uFFFDd' }, { name: 'x\uFFFDy' }] },
    });
    expect(body).toEqual({ items: [{ name: 'b\uFFFDd' }, { name: 'x\uFFFDy' }], ['k\uFFFD']: '\uFFFD', pair: '🍾' });
    // Only the body is a provider's payload: a path or query is still refused.
    expect(validate({ query: { q: 'x\u0000' }, body: { items: [] } }, provider).problem?.status).toBe(400);
  });

  it('hands the parsed parts on when nothing is wrong', () => {
    const { passed, res } = validate({ body: { items: [{ name: 'Rye' }] } });
    expect(passed).toBe(true);
    expect(res.locals.input).toMatchObject({ body: { items: [{ name: 'Rye' }] } });
  });
});
