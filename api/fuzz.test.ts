import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { seedDemo } from '../bench/datagen/seed.ts';
import { createLogger } from '../platform/logger.ts';

/**
 * Hostile input from the API's own OpenAPI document: for every operation, random and boundary
 * values for its path parameters, query and body — hostile strings among them (SQL, markup,
 * spreadsheet formulas, template syntax, NUL bytes, unpaired surrogates, 10 kB) — sent as an admin. Nothing may answer
 * 5xx, and every JSON answer must match the schema the document gives for its status.
 */

type Json = Record<string, any>;
type Schema = Json;

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 14);

/** mulberry32: a small seeded generator, so that a failure can be replayed with FUZZ_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hostile = [
  "' OR 1=1 --",
  "'; drop table customers; --",
  '1) union select password_hash from users --',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "=cmd|' /C calc'!A0",
  '{{ 7 | times: 7 }}{% include "/etc/passwd" %}',
  '${process.env.AUTH_SECRET}',
  '../../../../etc/passwd',
  'a\u0000b',
  'half a pair: \uD83E',
  '🍾'.repeat(50),
  'x'.repeat(10_000),
  '',
  ' ',
  '-1',
  '1e308',
  'NaN',
  'null',
  'true',
  '00000000-0000-0000-0000-000000000000',
];

class Fuzzer {
  readonly next: () => number;
  readonly doc: Json;
  constructor(doc: Json, seed: number) {
    this.doc = doc;
    this.next = random(seed);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  resolve(schema: Schema | undefined): Schema {
    let s = schema ?? {};
    for (let i = 0; s.$ref && i < 10; i++) {
      s = (s.$ref as string)
        .slice(2)
        .split('/')
        .reduce<Json>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
    }
    return s;
  }

  /** A value the schema allows, as far as a sampler can tell (patterns are not inverted). */
  valid(schema: Schema | undefined, depth = 0): unknown {
    const s = this.resolve(schema);
    if (s.const !== undefined) return s.const;
    if (s.enum) return this.pick(s.enum as unknown[]);
    const union = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (union?.length) return this.valid(this.pick(union), depth);
    if (s.allOf?.length) return this.valid((s.allOf as Schema[])[0], depth);
    const type = Array.isArray(s.type) ? this.pick(s.type as string[]) : (s.type as string | undefined);
    switch (type) {
      case 'object': {
        if (depth > 4) return {};
        const out: Json = {};
        const required = new Set((s.required as string[]) ?? []);
        for (const [key, prop] of Object.entries((s.properties as Json) ?? {})) {
          if (required.has(key) || this.chance(0.5)) out[key] = this.valid(prop as Schema, depth + 1);
        }
        return out;
      }
      case 'array': {
        const min = (s.minItems as number) ?? 0;
        const n = min + Math.floor(this.next() * 3);
        return Array.from({ length: Math.min(n, (s.maxItems as number) ?? n) }, () =>
          this.valid(s.items as Schema, depth + 1),
        );
      }
      case 'integer':
      case 'number': {
        const min = (s.minimum as number) ?? (s.exclusiveMinimum as number) ?? 0;
        const max = (s.maximum as number) ?? (s.exclusiveMaximum as number) ?? min + 100;
        const v = min + this.next() * (max - min);
        return type === 'integer' ? Math.round(v) : v;
      }
      case 'boolean':
        return this.chance(0.5);
      case 'null':
        return null;
      case 'string': {
        const formats: Record<string, () => string> = {
          uuid: () => crypto.randomUUID(),
          email: () => `fuzz${Math.floor(this.next() * 1e6)}@example.com`,
          date: () => '2026-12-01',
          'date-time': () => '2026-12-01T18:00:00Z',
          uri: () => 'https://example.com/x',
        };
        const make = formats[s.format as string];
        if (make) return make();
        const len = Math.max((s.minLength as number) ?? 1, 1);
        return 'a'.repeat(Math.min(len, 64));
      }
      default:
        return 'x';
    }
  }

  /** A value at or past the schema's edges, of another type, or hostile. */
  invalid(schema: Schema | undefined): unknown {
    const s = this.resolve(schema);
    const edges: unknown[] = [null, this.pick(hostile), this.pick(hostile), -1, 0, 2 ** 53, -(2 ** 53), 1.5, [], {}];
    if (typeof s.minimum === 'number') edges.push(s.minimum - 1, s.minimum);
    if (typeof s.maximum === 'number') edges.push(s.maximum + 1, s.maximum);
    if (typeof s.maxLength === 'number') edges.push('y'.repeat(s.maxLength + 1));
    if (typeof s.maxItems === 'number') edges.push(Array.from({ length: s.maxItems + 1 }, () => 'z'));
    return this.pick(edges);
  }

  /** A body: valid, with one field broken, one required field gone, an unknown field, or not an object. */
  body(schema: Schema | undefined): unknown {
    const s = this.resolve(schema);
    const base = this.valid(s);
    const roll = this.next();
    if (roll < 0.25 || !base || typeof base !== 'object' || Array.isArray(base)) {
      return roll < 0.1 ? this.pick([null, [], 'text', 42, this.pick(hostile)]) : base;
    }
    const out = { ...(base as Json) };
    const props = Object.entries((s.properties as Json) ?? {});
    if (roll < 0.6 && props.length) {
      const [key, prop] = this.pick(props);
      out[key] = this.chance(0.5) ? this.invalid(prop as Schema) : this.pick(hostile);
    } else if (roll < 0.8 && (s.required as string[] | undefined)?.length) {
      delete out[this.pick(s.required as string[])];
    } else {
      out.__proto__unknown = this.pick(hostile);
    }
    return out;
  }
}

interface Operation {
  method: string;
  path: string;
  op: Json;
}

function operations(doc: Json): Operation[] {
  const all = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Json })),
  );
  // Signing out revokes the session the fuzzer uses: it goes last.
  return all.sort((a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')));
}

describe('API fuzzing from the OpenAPI document', () => {
  let t: TestDatabase;
  let api: TestApi;
  let doc: Json;
  let token: string;
  /** What the API logged: an error logged while answering (an audit record lost) fails the run too. */
  const logged: string[] = [];
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

  beforeAll(async () => {
    t = await createTestDatabase();
    // Real rows behind the filters, so that injected SQL would have something to find.
    await seedDemo(t.db, { seed: 3, customerCount: 120, asOf: new Date(), timeZone: 'America/Chicago' });
    api = await startTestApi(t.db, {
      log: createLogger('warn', 'fuzz', { write: (line: string) => logged.push(line) }),
    });
    doc = await (await api.request('GET', '/api/openapi.json')).json();
    token = await api.tokenFor('admin');
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('answers every operation without a 5xx, in the shape its document promises', async () => {
    const fuzz = new Fuzzer(doc, SEED);
    const failures: string[] = [];
    let requests = 0;
    const customersBefore = Number((await t.db('customers').count({ n: '*' }))[0]!.n);

    for (const { method, path, op } of operations(doc)) {
      for (let i = 0; i < CASES_PER_OPERATION; i++) {
        const params = ((op.parameters as Json[]) ?? []).map((p): Json => ({ ...p, schema: fuzz.resolve(p.schema) }));
        const broken = fuzz.chance(0.5);
        const value = (p: Json) => (broken && fuzz.chance(0.5) ? fuzz.invalid(p.schema) : fuzz.valid(p.schema));
        let url = path;
        for (const p of params.filter((p) => p.in === 'path')) {
          // An empty segment would address another route (or none); every value here is non-empty.
          // A URL is UTF-8: it cannot carry an unpaired surrogate, which only a JSON body can.
          url = url.replace(`{${p.name}}`, encodeURIComponent(String(value(p) ?? '').toWellFormed() || '-'));
        }
        const query = new URLSearchParams();
        for (const p of params.filter((p) => p.in === 'query')) {
          if (p.required || fuzz.chance(0.6)) {
            const v = value(p);
            query.set(p.name as string, typeof v === 'object' ? JSON.stringify(v) : String(v));
          }
        }
        const bodySchema = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
        const body = method === 'GET' || method === 'DELETE' || !bodySchema ? undefined : fuzz.body(bodySchema);
        const target = `${url}${query.size ? `?${query}` : ''}`;
        const res = await api.request(method, target, { token, body: body ?? (method === 'GET' ? undefined : {}) });
        requests++;
        const label = `${method} ${target.slice(0, 160)} ${JSON.stringify(body)?.slice(0, 160) ?? ''}`;
        if (res.status >= 500) {
          failures.push(`${res.status} ${label}: ${(await res.text()).slice(0, 300)}`);
          continue;
        }
        const type = res.headers.get('content-type') ?? '';
        const documented = (op.responses as Json)?.[String(res.status)];
        const schema = documented?.content?.[type.split(';')[0]!]?.schema as Schema | undefined;
        if (!type.includes('json')) {
          await res.arrayBuffer();
          continue;
        }
        const json = await res.json();
        if (!documented) {
          failures.push(`undocumented status ${res.status} for ${label}`);
          continue;
        }
        if (schema) {
          const validate = ajv.compile({ ...fuzz.resolve(schema), components: doc.components });
          if (!validate(json)) {
            failures.push(`${res.status} ${label} breaks its schema: ${ajv.errorsText(validate.errors)}`);
          }
        }
      }
    }

    expect(requests).toBeGreaterThan(operations(doc).length * CASES_PER_OPERATION - 1);
    expect(failures, `seed ${SEED}`).toEqual([]);
    await new Promise((r) => setTimeout(r, 500)); // audit records are written once a response is sent
    const errors = logged.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors.map((e) => e.msg)).toEqual([]);
    // Injected SQL found nothing to drop or rewrite.
    const customersAfter = Number((await t.db('customers').count({ n: '*' }))[0]!.n);
    expect(customersAfter).toBeGreaterThanOrEqual(customersBefore);
    expect(await t.db.schema.hasTable('users')).toBe(true);
  }, 600_000);
});
