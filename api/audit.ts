import type { RequestHandler } from 'express';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// A refused request is recorded too, with whatever it carried: PostgreSQL text and jsonb cannot
// hold NUL, so it becomes U+FFFD rather than costing the record.
const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD');
const storableJson = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('\\u0000', '\\ufffd')) as unknown;

/**
 * Records every state-changing request once it has been answered: who, which route, which
 * target, the outcome and the request id. Handlers may add a cheap before/after to
 * `res.locals.audit`. Login/refresh/logout are recorded too (by the e-mail they were for).
 */
export function auditTrail(deps: { db: Db; log: Logger }): RequestHandler {
  return (req, res, next) => {
    if (!unsafe.has(req.method)) return next();
    res.on('finish', () => {
      const key = res.locals.routeKey;
      if (!key) return; // unknown route: nothing changed
      const principal = res.locals.principal;
      const entityId = res.locals.audit?.entityId ?? res.locals.routeParams?.id;
      deps
        .db('audit_log')
        .insert({
          actor_user_id: principal?.kind === 'user' ? principal.userId : null,
          actor_api_key_id: principal?.kind === 'api_key' ? principal.apiKeyId : null,
          action: key,
          entity_type: key.split(' ')[1]!.split('/')[2] ?? null,
          entity_id: entityId ? storable(entityId).slice(0, 200) : null,
          request_id: res.locals.requestId,
          ip: req.ip ?? null,
          details: storableJson({ status: res.statusCode, ...res.locals.audit }),
        })
        .catch((err: unknown) => deps.log.error({ err, action: key }, 'audit log write failed'));
    });
    next();
  };
}
