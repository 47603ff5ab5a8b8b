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

/**
 * The router, offered only the requests its routes could match. Every router is mounted at the
 * root (their routes carry whole paths, as the access table names them), so Express handed each
 * request to each router in turn and each tried its path against every one of its routes: a
 * hundred-odd patterns before a late router's route ran, a sizeable share of a simple read's CPU.
 * The gate compares the path's first segments with the router's instead. A router with anything
 * but routes (middleware for every path), or a route without fixed leading segments, is not gated.
 */
export function gated(router: Router): RequestHandler {
  let prefixes: string[] | null | undefined;
  // Worked out at the first request: routes are all registered by then.
  const prefixesOf = (): string[] | null => {
    const found = new Set<string>();
    for (const layer of router.stack as RouterLayer[]) {
      const path = layer.route?.path;
      const prefix = typeof path === 'string' ? fixedPrefix(path) : undefined;
      if (!prefix) return null;
      found.add(prefix);
    }
    return [...found];
  };
  return (req, res, next) => {
    prefixes ??= prefixesOf();
    if (prefixes === null) return router(req, res, next);
    // Express matches paths ignoring case and a trailing slash, and so does the gate.
    const path = req.path.toLowerCase();
    for (const prefix of prefixes) {
      if (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')) {
        return router(req, res, next);
      }
    }
    next();
  };
}
