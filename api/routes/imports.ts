import express, { Router } from 'express';
import { z } from 'zod';
import { attributeOrders } from '../../activities/analytics/attribution.ts';
import { getImportReport, ImportFileError, importCustomers, importOrders } from '../../activities/import/index.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { startScoring } from '../../temporal/schedules.ts';
import type { Workflows } from '../app.ts';
import { route } from '../auth/middleware.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute, type RouteHandler } from '../route-spec.ts';

const idParam = z.strictObject({ id: z.uuid() });
const reportQuery = z.strictObject({ rejections: z.coerce.number().int().min(0).max(10_000).default(100) });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
const filenameQuery = z.strictObject({ filename: z.string().max(255).optional() });
// JSON rows: an array, or { rows: [...] }. Each row is validated by the import itself.
const jsonBody = z.union([
  z.array(z.unknown()).max(100_000),
  z.strictObject({ rows: z.array(z.unknown()).max(100_000) }),
]);

const runImportRoute = (kind: 'customers' | 'orders') =>
  defineRoute({
    key: `POST /api/imports/${kind}`,
    tag: 'Imports',
    summary: `Import ${kind} from a CSV file or JSON rows`,
    description:
      'Rows are validated one by one: bad rows are rejected and reported, good rows written (idempotently, ' +
      'by external id). New data starts a scoring run. CSV is streamed; JSON bodies are limited to 50 MB.',
    query: filenameQuery,
    body: jsonBody,
    otherBodies: { 'text/csv': z.string().meta({ description: 'A CSV file with a header row.' }) },
    responses: {
      201: { description: 'The import report, with the scoring run it started (or null).' },
      422: { description: 'The file could not be read at all; the report says why.' },
    },
    problems: { 415: 'Neither text/csv nor application/json.', 422: 'The file could not be read.' },
  });

export const importRoutes = {
  customers: runImportRoute('customers'),
  orders: runImportRoute('orders'),
  list: defineRoute({
    key: 'GET /api/imports',
    tag: 'Imports',
    summary: 'Recent imports',
    query: listQuery,
    responses: { 200: { description: 'Imports, newest first.' } },
  }),
  get: defineRoute({
    key: 'GET /api/imports/:id',
    tag: 'Imports',
    summary: "One import's report, with its rejected rows and why",
    params: idParam,
    query: reportQuery,
    responses: { 200: { description: 'The report.' } },
    problems: { 404: 'No import with this id.' },
  }),
};

/** Larger bodies than the rest of the API: an import is the one place that sends many rows. */
export const importJsonParser = express.json({ limit: '50mb' });

type Deps = {
  db: Db;
  log: Logger;
  workflows: Workflows;
  config: Pick<Config, 'DEFAULT_PHONE_REGION' | 'STORE_TIME_ZONE' | 'ATTRIBUTION_WINDOWS'>;
};

export function importsRouter(deps: Deps): Router {
  const router = Router();

  const runImport =
    (kind: 'customers' | 'orders'): RouteHandler<ReturnType<typeof runImportRoute>> =>
    async (req, res, { query: { filename }, body: rows }) => {
      const principal = res.locals.principal;
      const csv = req.is('text/csv') || req.is('text/plain') || req.is('application/octet-stream');
      if (!csv && !req.is('application/json')) {
        throw new HttpProblem(415, 'Unsupported Media Type', 'Send text/csv, or application/json rows.');
      }
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
      const startedAt = new Date();
      try {
        report = await (kind === 'customers' ? importCustomers : importOrders)(deps.db, source, options);
      } catch (err) {
        if (err instanceof ImportFileError) throw new HttpProblem(422, 'Unprocessable Content', err.message);
        throw err;
      }
      res.locals.audit = { entityId: report.id, accepted: report.rowsAccepted, rejected: report.rowsRejected };
      if (kind === 'orders' && report.rowsInserted > 0) {
        // The new orders that follow a message's touch earn it their revenue now; the nightly
        // maintenance catches any whose touch arrives later.
        await attributeOrders(deps.db, deps.config.ATTRIBUTION_WINDOWS, { createdSince: startedAt });
      }
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

  route(router, importRoutes.customers, importJsonParser, runImport('customers'));
  route(router, importRoutes.orders, importJsonParser, runImport('orders'));

  route(router, importRoutes.list, async (_req, res, { query: { limit } }) => {
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

  route(router, importRoutes.get, async (_req, res, { params: { id }, query: { rejections } }) => {
    const report = await getImportReport(deps.db, id, { rejectionsLimit: rejections });
    if (!report) throw new HttpProblem(404, 'Not Found', 'No import with this id.');
    res.json(report);
  });

  return router;
}
