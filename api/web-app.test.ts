import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import express from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type ApiServer } from './server.ts';
import { inlineScriptHashes, webAppRouter } from './web-app.ts';

const hash = "'sha256-eplFvR8OJLKgdXlXjXIqAkJR4TQfvRTytWHbcRNIeN8='";
const indexHtml = `<!doctype html><html><head><meta http-equiv="content-security-policy" content="script-src 'self' ${hash}"></head><body><script>start()</script></body></html>`;

describe('the marketer app on the API port', () => {
  let dir: string;
  let server: ApiServer;
  const get = (p: string, headers: Record<string, string> = {}) => fetch(server.url + p, { headers });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lma-web-'));
    mkdirSync(path.join(dir, '_app/immutable/chunks'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), indexHtml);
    const js = 'export const answer = 42;\n'.repeat(20);
    writeFileSync(path.join(dir, '_app/immutable/chunks/a1.js'), js);
    writeFileSync(path.join(dir, '_app/immutable/chunks/a1.js.br'), brotliCompressSync(js));
    writeFileSync(path.join(dir, '_app/immutable/chunks/a1.js.gz'), gzipSync(js));
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
    const app = express();
    app.use(helmet());
    app.get('/api/ping', (_req, res) => res.json({ ok: true }));
    app.use(webAppRouter({ buildDir: dir }));
    server = await listen(app, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the inline script hashes SvelteKit wrote into the page', () => {
    expect(inlineScriptHashes(indexHtml)).toEqual([hash]);
    expect(inlineScriptHashes('<html></html>')).toEqual([]);
  });

  it('answers any page path with the app, allowing only its own inline script', async () => {
    for (const p of ['/', '/customers/0f9a', '/settings?tab=users', '/index.html']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain(`script-src 'self' ${hash}`);
      // The rest of helmet's policy holds.
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(await res.text()).toBe(indexHtml);
    }
  });

  it('sends hashed assets precompressed and cached for a year', async () => {
    const br = await get('/_app/immutable/chunks/a1.js', { 'accept-encoding': 'gzip, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toMatch(/javascript/);
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(await br.text()).toContain('export const answer = 42;');

    const gz = await get('/_app/immutable/chunks/a1.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');

    const plain = await get('/favicon.svg', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
  });

  it('gives a missing asset a 404 instead of the app, and never a file outside the build', async () => {
    expect((await get('/_app/immutable/chunks/gone.js')).status).toBe(404);
    const escape = await get('/..%2f..%2fetc%2fpasswd');
    expect(await escape.text()).toBe(indexHtml);
  });

  it('leaves the API alone', async () => {
    expect(await (await get('/api/ping')).json()).toEqual({ ok: true });
    const res = await fetch(server.url + '/anything', { method: 'POST' });
    expect(res.status).toBe(404);
  });
});
