import type { RequestHandler } from 'express';
import { BatchBuffer } from '../platform/batch-buffer.ts';
import { jsonbText, storableText, type Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// A refused request is recorded too, with whatever it carried: text PostgreSQL cannot hold becomes
// U+FFFD (storableText, jsonbText) rather than costing the record.

/** One row of `audit_log`. */
export interface AuditRecord {
  occurred_at: Date;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  request_id: string;
  ip: string | null;
  details: unknown;
}

/** Where the audit trail's records go; one per API process, flushed when it stops. */
export interface AuditLog {
  record(row: AuditRecord): void;
  /** Resolves when every record so far is written (or has failed and been logged). */
  flush(): Promise<void>;
  /** Refuses new records, then flushes. */
  close(): Promise<void>;
}

/**
 * Writes audit records by group commit: a record is written at once when no write is in
 * progress, and the records that come in meanwhile go in the next write, as one insert. A busy
 * write route then costs PostgreSQL one statement per request (its own), not two. A batch that
 * fails is written again record by record, so that one bad record (an actor deleted meanwhile)
 * costs only itself.
 */
export function createAuditLog(deps: { db: Db; log: Logger }): AuditLog {
  const insert = async (rows: AuditRecord[]) => {
    await deps.db('audit_log').insert(rows.map((r) => ({ ...r, details: jsonbText(r.details) })));
  };
  const buffer = new BatchBuffer<AuditRecord, void>({
    maxBatch: 200,
    maxInFlight: 1,
    capacity: 20_000,
    async write(rows) {
      try {
        await insert(rows);
      } catch (err) {
        if (rows.length === 1) throw err;
        await Promise.all(
          rows.map((row) =>
            insert([row]).catch((e: unknown) =>
              deps.log.error({ err: e, action: row.action, requestId: row.request_id }, 'audit log write failed'),
            ),
          ),
        );
      }
      return rows.map(() => undefined);
    },
  });
  return {
    record(row) {
      buffer
        .add(row)
        .catch((err: unknown) =>
          deps.log.error({ err, action: row.action, requestId: row.request_id }, 'audit log write failed'),
        );
    },
    flush: () => buffer.flush(),
    close: () => buffer.close(),
  };
}

/**
 * Records every state-changing request once it has been answered: who, which route, which
 * target, the outcome and the request id. Handlers may add a cheap before/after to
 * `res.locals.audit`. Login/refresh/logout are recorded too (by the e-mail they were for).
 */
export function auditTrail(audit: AuditLog): RequestHandler {
  return (req, res, next) => {
    if (!unsafe.has(req.method)) return next();
    res.on('finish', () => {
      const key = res.locals.routeKey;
      if (!key) return; // unknown route: nothing changed
      const principal = res.locals.principal;
      const entityId = res.locals.audit?.entityId ?? res.locals.routeParams?.id;
      audit.record({
        occurred_at: new Date(),
        actor_user_id: principal?.kind === 'user' ? principal.userId : null,
        actor_api_key_id: principal?.kind === 'api_key' ? principal.apiKeyId : null,
        action: key,
        entity_type: key.split(' ')[1]!.split('/')[2] ?? null,
        entity_id: entityId ? storableText(entityId).slice(0, 200) : null,
        request_id: res.locals.requestId,
        ip: req.ip ?? null,
        details: { status: res.statusCode, ...res.locals.audit },
      });
    });
    next();
  };
}
