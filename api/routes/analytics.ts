import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ExportDestinationMissing,
  exportCsv,
  exportFileName,
  exportKinds,
  exportS3Client,
  writeExport,
} from '../../activities/analytics/exports.ts';
import { longestWindowMs } from '../../domain/analytics/attribution.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { route } from '../auth/middleware.ts';
import { compareCampaigns, funnel, funnelDimensions, holdoutResults, timeSeries } from '../data/analytics.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

/**
 * The analytics API behind the dashboard and the analytics pages: daily time series, campaign
 * funnels, campaigns side by side, holdout results, and CSV exports (downloaded, or written to
 * the export directory or bucket).
 */

export type AnalyticsConfig = Pick<
  Config,
  | 'STORE_TIME_ZONE'
  | 'ATTRIBUTION_WINDOWS'
  | 'EXPORT_DIR'
  | 'EXPORT_S3_BUCKET'
  | 'EXPORT_S3_ENDPOINT'
  | 'EXPORT_S3_REGION'
  | 'EXPORT_S3_PREFIX'
  | 'EXPORT_S3_FORCE_PATH_STYLE'
>;

const DAY = 86_400_000;
const MAX_RANGE_DAYS = 400;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(d);
  }, 'a real calendar date');
const idList = (max: number) =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.uuid()).min(1).max(max));
const channel = z.enum(['email', 'sms']);

const rangeShape = { from: isoDate.optional(), to: isoDate.optional() };
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;
const orderedRange = (q: { from?: string; to?: string }) => !q.from || !q.to || q.from <= q.to;
const shortRange = (q: { from?: string; to?: string }) =>
  !q.from || !q.to || daysBetween(q.from, q.to) < MAX_RANGE_DAYS;

const timeSeriesQuery = z
  .strictObject({ ...rangeShape, campaignIds: idList(50).optional(), channel: channel.optional() })
  .refine(orderedRange, { message: 'from is after to', path: ['from'] })
  .refine(shortRange, { message: `at most ${MAX_RANGE_DAYS} days`, path: ['to'] });
const funnelQuery = z
  .strictObject({
    ...rangeShape,
    campaignIds: idList(20),
    by: z
      .string()
      .transform((v) => (v === '' ? [] : v.split(',').map((s) => s.trim())))
      .pipe(z.array(z.enum(funnelDimensions)).max(3))
      .default([]),
  })
  .refine(orderedRange, { message: 'from is after to', path: ['from'] });
const compareQuery = z
  .strictObject({ ...rangeShape, campaignIds: idList(50).optional() })
  .refine(orderedRange, { message: 'from is after to', path: ['from'] });
const idParam = z.strictObject({ id: z.uuid() });
const kindParam = z.strictObject({ kind: z.enum(exportKinds) });
const exportFilter = { campaignId: z.uuid().optional(), ...rangeShape };
const exportQuery = z.strictObject(exportFilter).refine(orderedRange, { message: 'from is after to', path: ['from'] });
const exportBody = z
  .strictObject({ kind: z.enum(exportKinds), destination: z.enum(['directory', 's3']), ...exportFilter })
  .refine(orderedRange, { message: 'from is after to', path: ['from'] });

/** Today in the store's calendar. */
const today = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

export function analyticsRouter(deps: { db: Db; log: Logger; config: AnalyticsConfig }): Router {
  const router = Router();
  const cfg = deps.config;
  let s3: S3Client | undefined;
  const exportTarget = () => ({
    directory: cfg.EXPORT_DIR,
    s3: cfg.EXPORT_S3_BUCKET
      ? {
          client: (s3 ??= exportS3Client({
            endpoint: cfg.EXPORT_S3_ENDPOINT,
            region: cfg.EXPORT_S3_REGION,
            forcePathStyle: cfg.EXPORT_S3_FORCE_PATH_STYLE,
          })),
          bucket: cfg.EXPORT_S3_BUCKET,
          prefix: cfg.EXPORT_S3_PREFIX,
        }
      : undefined,
  });

  route(router, 'GET /api/analytics/timeseries', async (req, res) => {
    const q = parseOr400(timeSeriesQuery, req.query, 'query');
    // Default: the last 90 days of the store's calendar, today included.
    const to = q.to ?? (q.from ? addDays(q.from, 89) : today(cfg.STORE_TIME_ZONE));
    const from = q.from ?? addDays(to, -89);
    if (from > to || daysBetween(from, to) >= MAX_RANGE_DAYS) {
      throw new HttpProblem(400, 'Bad Request', `The range must run forwards and span at most ${MAX_RANGE_DAYS} days.`);
    }
    res.json({ from, to, days: await timeSeries(deps.db, { ...q, from, to }) });
  });

  route(router, 'GET /api/analytics/funnel', async (req, res) => {
    const q = parseOr400(funnelQuery, req.query, 'query');
    res.json({ by: q.by, rows: await funnel(deps.db, q) });
  });

  route(router, 'GET /api/analytics/campaigns', async (req, res) => {
    const q = parseOr400(compareQuery, req.query, 'query');
    res.json({ campaigns: await compareCampaigns(deps.db, q) });
  });

  route(router, 'GET /api/analytics/campaigns/:id/holdout', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
    const results = await holdoutResults(deps.db, id, longestWindowMs(cfg.ATTRIBUTION_WINDOWS));
    if (!results) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    res.json(results);
  });

  route(router, 'GET /api/analytics/exports/:kind', async (req, res) => {
    const { kind } = parseOr400(kindParam, req.params, 'path');
    const filter = parseOr400(exportQuery, req.query, 'query');
    // The first chunk (the header) comes once the query is running: a failure before it is still a problem+json.
    const chunks = exportCsv(deps.db, kind, filter);
    const first = await chunks.next();
    res.status(200);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="${exportFileName(kind)}"`);
    res.setHeader('cache-control', 'no-store');
    try {
      await pipeline(
        Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* chunks;
          })(),
        ),
        res,
      );
    } catch (err) {
      // The headers are gone: a failure mid-stream can only cut the download short.
      if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        deps.log.error({ err, kind }, 'export failed while streaming');
      }
      res.destroy();
    }
  });

  route(router, 'POST /api/analytics/exports', async (req, res) => {
    const { kind, destination, ...filter } = parseOr400(exportBody, req.body);
    try {
      const written = await writeExport(deps.db, kind, filter, destination, exportTarget());
      res.locals.audit = { entityId: written.location, kind, destination };
      res.status(201).json({ kind, ...written });
    } catch (err) {
      if (err instanceof ExportDestinationMissing) throw new HttpProblem(409, 'Conflict', err.message);
      throw err;
    }
  });

  return router;
}
