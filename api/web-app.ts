import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import helmet from 'helmet';

/**
 * Serves the marketer app (the static SvelteKit build in web/build) on the API's own port.
 *
 * - Hashed files under /_app/immutable are cached for a year; everything else is revalidated.
 * - The build's .br/.gz twins are sent to browsers that accept them.
 * - Any other path that is not a file gets index.html: the app routes in the browser. (This is
 *   mounted after the API, whose unknown paths already answered 404 as problem+json.)
 * - Helmet's CSP stays as it is, except that script-src also allows the hashes of the inline
 *   bootstrap script, which SvelteKit's `kit.csp` (mode 'hash') wrote into index.html.
 *
 * The files are the app's code, not data: they need no session. The data comes from /api.
 */

const encodings = [
  { name: 'br', ext: '.br' },
  { name: 'gzip', ext: '.gz' },
] as const;

/** The script hashes SvelteKit put in the page's CSP meta tag. */
export function inlineScriptHashes(html: string): string[] {
  const meta = /<meta http-equiv="content-security-policy" content="([^"]*)"/i.exec(html);
  return meta ? [...meta[1]!.matchAll(/'(sha(?:256|384|512)-[A-Za-z0-9+/=]+)'/g)].map((m) => `'${m[1]}'`) : [];
}

export function webAppRouter(opts: { buildDir: string }): Router {
  const root = path.resolve(opts.buildDir);
  const indexFile = path.join(root, 'index.html');
  const router = Router();
  const hashes = existsSync(indexFile) ? inlineScriptHashes(readFileSync(indexFile, 'utf8')) : [];
  const csp = helmet.contentSecurityPolicy({
    directives: { ...helmet.contentSecurityPolicy.getDefaultDirectives(), 'script-src': ["'self'", ...hashes] },
  });

  function send(req: Request, res: Response, file: string, cacheControl: string): void {
    const accepted = req.get('accept-encoding') ?? '';
    res.setHeader('cache-control', cacheControl);
    res.setHeader('vary', 'Accept-Encoding');
    res.type(path.extname(file));
    for (const { name, ext } of encodings) {
      if (accepted.includes(name) && existsSync(file + ext)) {
        res.setHeader('content-encoding', name);
        return res.sendFile(file + ext);
      }
    }
    res.sendFile(file);
  }

  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let requested: string;
    try {
      requested = path.join(root, path.normalize(decodeURIComponent(req.path)));
    } catch {
      return next();
    }
    // Never a file outside the build, whatever the path says.
    if (requested.startsWith(root + path.sep) && requested !== indexFile && isFile(requested)) {
      const immutable = req.path.startsWith('/_app/immutable/');
      return send(req, res, requested, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    // A missing asset is a 404, not the app: only page paths fall back to index.html.
    if (req.path.startsWith('/_app/') || !existsSync(indexFile)) return next();
    csp(req, res, (err?: unknown) => (err ? next(err) : send(req, res, indexFile, 'no-cache')));
  });

  return router;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
