import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { getImportReport, ImportFileError, importCustomers, importOrders } from '../../activities/import/index.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { startScoring } from '../../temporal/schedules.ts';
import type { Workflows } from '../app.ts';
import { route } from '../auth/middleware.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

const idParam = z.strictObject({ id: z.uuid() });
const reportQuery = z.strictObject({ rejections: z.coerce.number().int().min(0).max(10_000).default(100) });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
const filenameQuery = z.strictObject({ filename: z.string().max(255).optional() });
// JSON rows: an array, or { rows: [...] }. Each row is validated by the import itself.
const jsonBody = z.union([
  z.array(z.unknown()).max(100_000),
  z.strictObject({ rows: z.array(z.unknown()).max(100_000) }),
]);

/** Larger bodies than the rest of the API: an import is the one place that sends many rows. */
export const importJsonParser = express.json({ limit: '50mb' });

type Deps = {
  db: Db;
  log: Logger;
  workflows: Workflows;
  config: Pick<Config, 'DEFAULT_PHONE_REGION' | 'STORE_TIME_ZONE'>;
};

export function importsRouter(deps: Deps): Router {
  const router = Router();

  const runImport =
    (kind: 'customers' | 'orders'): RequestHandler =>
    async (req, res) => {
      const principal = res.locals.principal;
      const { filename } = parseOr400(filenameQuery, req.query, 'query');
      const csv = req.is('text/csv') || req.is('text/plain') || req.is('application/octet-stream');
      if (!csv && !req.is('application/json')) {
        throw new HttpProblem(415, 'Unsupported Media Type', 'Send text/csv, or application/json rows.');
      }
      const rows = csv ? undefined : parseOr400(jsonBody, req.body);
      const options = {
        source: csv ? ('csv' as const) : ('json' as const),
        filename,
        defaultPhoneRegion: deps.config.DEFAULT_PHONE_REGION,
        storeTimeZone: deps.config.STORE_TIME_ZONE,
        createdBy: principal?.kind === 'user' ? principal.userId : undefined,
        apiKeyId: principal?.kind === 'api_key' ? principal.apiKeyId : undefined,
      };
      const source = rows === undefined ? req : Array.isArray(rows) ? rows : rows.rows;
      let report;
      try {
        report = await (kind === 'customers' ? importCustomers : importOrders)(deps.db, source, options);
      } catch (err) {
        if (err instanceof ImportFileError) throw new HttpProblem(422, 'Unprocessable Content', err.message);
        throw err;
      }
      res.locals.audit = { entityId: report.id, accepted: report.rowsAccepted, rejected: report.rowsRejected };
      // New orders change every score: rescore (or join the run already going).
      let scoring: { workflowId: string; runId: string } | undefined;
      if (report.rowsInserted + report.rowsUpdated > 0) {
        try {
          scoring = await startScoring(deps.workflows.client, deps.workflows.queues, 'import');
        } catch (err) {
          deps.log.warn({ err }, 'could not start scoring after an import; the nightly run will pick it up');
        }
      }
      res.status(report.status === 'failed' ? 422 : 201).json({ ...report, scoring: scoring ?? null });
    };

  route(router, 'POST /api/imports/customers', importJsonParser, runImport('customers'));
  route(router, 'POST /api/imports/orders', importJsonParser, runImport('orders'));

  route(router, 'GET /api/imports', async (req, res) => {
    const { limit } = parseOr400(listQuery, req.query, 'query');
    const items = await deps
      .db('imports')
      .select(
        'id',
        'kind',
        'source',
        'filename',
        'status',
        'rows_total as rowsTotal',
        'rows_accepted as rowsAccepted',
        'rows_rejected as rowsRejected',
        'error',
        'started_at as startedAt',
        'finished_at as finishedAt',
      )
      .orderBy('started_at', 'desc')
      .limit(limit);
    res.json({ items });
  });

  route(router, 'GET /api/imports/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    const { rejections } = parseOr400(reportQuery, req.query, 'query');
    const report = await getImportReport(deps.db, id, { rejectionsLimit: rejections });
    if (!report) throw new HttpProblem(404, 'Not Found', 'No import with this id.');
    res.json(report);
  });

  return router;
}
