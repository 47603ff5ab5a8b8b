import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { accessTable, type AccessRule } from './access.ts';
import { openApiPath } from './openapi.ts';

type Json = Record<string, any>;
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

function operations(doc: Json): { method: string; path: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => methods.includes(method))
      .map(([method, op]) => ({ method, path, op: op as Json })),
  );
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

describe('OpenAPI document and reference', () => {
  let t: TestDatabase;
  let api: TestApi;
  let doc: Json;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    const res = await api.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('is an OpenAPI 3.1 document with security schemes for every way in', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerToken', 'csrf', 'session']);
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'lma_access' });
    expect(doc.components.securitySchemes.csrf).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-csrf-token' });
  });

  it('documents exactly the routes of the route × role table', () => {
    const documented = operations(doc)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    const table = Object.keys(accessTable)
      .map((key) => {
        const [method, path] = key.split(' ') as [string, string];
        return `${method} ${openApiPath(path)}`;
      })
      .sort();
    expect(
      table.filter((r) => !documented.includes(r)),
      'routes without a spec',
    ).toEqual([]);
    expect(
      documented.filter((r) => !table.includes(r)),
      'documented routes not in the table',
    ).toEqual([]);
  });

  it('declares every path parameter, and only those, as required', () => {
    for (const { method, path, op } of operations(doc)) {
      const inTemplate = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(inTemplate);
      for (const p of declared) expect(p.required, `${method} ${path} ${p.name}`).toBe(true);
    }
  });

  it('resolves every $ref and gives every operation a unique id', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(resolvePointer(doc, ref), ref).toBeDefined();
    const ids = operations(doc).map(({ op }) => op.operationId as string);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("states each route's roles and API key scope, and answers errors as problem+json", () => {
    for (const { method, path, op } of operations(doc)) {
      const key = Object.keys(accessTable).find(
        (k) => k === `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
      );
      const rule = accessTable[key as keyof typeof accessTable] as AccessRule;
      if ('public' in rule) {
        expect(op.security, `${key}`).toEqual([]);
      } else {
        expect(op['x-roles'], `${key}`).toEqual(rule.roles);
        expect(op.security).toContainEqual({ bearerToken: rule.roles });
        expect(op['x-api-key-scope']).toBe(rule.apiKey);
        if (rule.apiKey) expect(op.security).toContainEqual({ apiKey: [rule.apiKey] });
        else expect(op.security.some((s: Json) => 'apiKey' in s)).toBe(false);
        expect(op.responses['401'].content['application/problem+json'].schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
      expect(op.responses['500'].content).toHaveProperty(['application/problem+json']);
    }
  });

  it('rejects a request that breaks a documented schema with problem+json naming the field', async () => {
    const params = doc.paths['/api/customers'].get.parameters as Json[];
    const churnBand = params.find((p) => p.name === 'churnBand' && p.in === 'query')!;
    expect(churnBand.schema.enum).not.toContain('extreme');
    const token = await api.tokenFor('user');
    const res = await api.request('GET', '/api/customers?churnBand=extreme', { token });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await res.json()).errors).toEqual([expect.objectContaining({ path: 'query.churnBand' })]);

    const body = doc.paths['/api/api-keys'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    const admin = await api.tokenFor('admin');
    const created = await api.request('POST', '/api/api-keys', {
      token: admin,
      body: { name: 'pos', scopes: ['read'], colour: 'red' },
    });
    expect(created.status).toBe(400);
    const problem = await created.json();
    expect(problem.errors).toEqual([
      expect.objectContaining({ path: 'body', message: expect.stringMatching(/colour/) }),
    ]);
  });

  it('serves the reference page without sign-in, with its own scripts and a policy for that page only', async () => {
    const page = await api.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).not.toMatch(/https?:/);

    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/api/docs/swagger-ui-bundle.js', '/api/docs/init.js']));
    for (const asset of assets) {
      expect(asset, 'nothing from another origin').toMatch(/^\/api\/docs\//);
      const res = await api.request('GET', asset);
      expect(res.status, asset).toBe(200);
    }
    const init = await (await api.request('GET', '/api/docs/init.js')).text();
    expect(init).toContain("url: '/api/openapi.json'");

    // Other files of the package, and everything else, keep helmet's default policy.
    const other = await api.request('GET', '/api/docs/index.html');
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const health = await api.request('GET', '/healthz');
    expect(health.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(health.headers.get('content-security-policy')).not.toContain("connect-src 'self'");
  });
});
