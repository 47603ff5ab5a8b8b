import type { RequestHandler, Router } from 'express';

interface RouterLayer {
  route?: { path?: unknown };
}

/** A route path's leading fixed segments, at most two: `/api/campaigns/:id/progress` → `/api/campaigns`. */
function fixedPrefix(path: string): string | undefined {
  const fixed: string[] = [];
  for (const segment of path.split('/').slice(1, 3)) {
    if (segment === '' || /[:*{}()?+\\]/.test(segment)) break;
    fixed.push(segment.toLowerCase());
  }
  return fixed.length > 0 ? `/${fixed.join('/')}` : undefined;
}

/** A router's fixed path prefixes, or null when it must see every request. */
function prefixesOf(router: Router): string[] | null {
  const found = new Set<string>();
  for (const layer of router.stack as RouterLayer[]) {
    const path = layer.route?.path;
    const prefix = typeof path === 'string' ? fixedPrefix(path) : undefined;
    if (!prefix) return null;
    found.add(prefix);
  }
  return [...found];
}

function offers(prefixes: string[] | null, path: string): boolean {
  if (prefixes === null) return true;
  for (const prefix of prefixes) {
    if (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')) return true;
  }
  return false;
}

/**
 * Routers, in order, each offered only the requests its routes could match, as one middleware.
 * Every router is mounted at the root (their routes carry whole paths, as the access table names
 * them), so Express handed each request to each router in turn and each tried its path against
 * every one of its routes: a hundred-odd patterns before a late router's route ran, a sizeable
 * share of a simple read's CPU. Here the path's first segments are compared with each router's,
 * once per request, and only the routers that could answer are called. Mounted one by one, each
 * router was also a layer of the app that Express matched and wrapped per request (the largest
 * share of what a read allocated). A router with anything but routes (middleware for every path),
 * or a route without fixed leading segments, sees every request.
 */
export function gated(...routers: Router[]): RequestHandler {
  let prefixes: (string[] | null)[] | undefined;
  return (req, res, done) => {
    // Worked out at the first request: routes are all registered by then.
    prefixes ??= routers.map(prefixesOf);
    // Express matches paths ignoring case and a trailing slash, and so does the gate.
    const path = req.path.toLowerCase();
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) return done(err);
      while (i < routers.length) {
        const at = i++;
        if (offers(prefixes![at]!, path)) {
          void routers[at]!(req, res, next);
          return;
        }
      }
      done();
    };
    next();
  };
}
