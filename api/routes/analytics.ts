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
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

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

export const analyticsRoutes = {
  timeSeries: defineRoute({
    key: 'GET /api/analytics/timeseries',
    tag: 'Analytics',
    summary: 'Sends, deliveries, opens, clicks, conversions and attributed revenue per day',
    description:
      'One point per day of the range in the store calendar (default: the last 90 days), read from the daily ' +
      'rollups. Stages count each send once, on the day it first reached the stage.',
    query: timeSeriesQuery,
    responses: { 200: { description: 'The range and its daily points.' } },
  }),
  funnel: defineRoute({
    key: 'GET /api/analytics/funnel',
    tag: 'Analytics',
    summary: 'The funnel planned → sent → delivered → opened → clicked → converted per campaign',
    description: 'Split by any of `day`, `channel` and `segment` (`by=day,channel`).',
    query: funnelQuery,
    responses: { 200: { description: 'Funnel rows per campaign and split.' } },
  }),
  compare: defineRoute({
    key: 'GET /api/analytics/campaigns',
    tag: 'Analytics',
    summary: 'Campaigns side by side: funnel totals, rates and revenue per send',
    query: compareQuery,
    responses: { 200: { description: 'Campaigns, newest first (at most 50).' } },
  }),
  holdout: defineRoute({
    key: 'GET /api/analytics/campaigns/:id/holdout',
    tag: 'Analytics',
    summary: 'Treated against holdout: conversion, revenue per customer and the lift with 95% intervals',
    params: idParam,
    responses: { 200: { description: 'The holdout results and the method behind them.' } },
    problems: { 404: 'No campaign with this id.' },
  }),
  download: defineRoute({
    key: 'GET /api/analytics/exports/:kind',
    tag: 'Analytics',
    summary: 'Download a CSV export of sends, events or campaign results, streamed',
    params: kindParam,
    query: exportQuery,
    responses: { 200: { description: 'The CSV file.', mediaType: 'text/csv' } },
  }),
  write: defineRoute({
    key: 'POST /api/analytics/exports',
    tag: 'Analytics',
    summary: 'Write a CSV export to the export directory or the S3-compatible bucket',
    body: exportBody,
    responses: { 201: { description: 'Where the export was written and its size.' } },
    problems: { 409: 'The destination is not configured.' },
  }),
};

/** Today in the store's calendar. */
const today = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

export function analyticsRouter(deps: { db: Db; log: Logger; config: AnalyticsConfig }): Router {
  const router = Router();
  const cfg = deps.config;
  let s3: Promise<S3Client> | undefined;
  const exportTarget = async () => ({
    directory: cfg.EXPORT_DIR,
    s3: cfg.EXPORT_S3_BUCKET
      ? {
          client: await (s3 ??= exportS3Client({
            endpoint: cfg.EXPORT_S3_ENDPOINT,
            region: cfg.EXPORT_S3_REGION,
            forcePathStyle: cfg.EXPORT_S3_FORCE_PATH_STYLE,
          })),
          bucket: cfg.EXPORT_S3_BUCKET,
          prefix: cfg.EXPORT_S3_PREFIX,
        }
      : undefined,
  });

  route(router, analyticsRoutes.timeSeries, async (_req, res, { query: q }) => {
    // Default: the last 90 days of the store's calendar, today included.
    const to = q.to ?? (q.from ? addDays(q.from, 89) : today(cfg.STORE_TIME_ZONE));
    const from = q.from ?? addDays(to, -89);
    if (from > to || daysBetween(from, to) >= MAX_RANGE_DAYS) {
      throw new HttpProblem(400, 'Bad Request', `The range must run forwards and span at most ${MAX_RANGE_DAYS} days.`);
    }
    res.json({ from, to, days: await timeSeries(deps.db, { ...q, from, to }) });
  });

  route(router, analyticsRoutes.funnel, async (_req, res, { query: q }) => {
    res.json({ by: q.by, rows: await funnel(deps.db, q) });
  });

  route(router, analyticsRoutes.compare, async (_req, res, { query: q }) => {
    res.json({ campaigns: await compareCampaigns(deps.db, q) });
  });

  route(router, analyticsRoutes.holdout, async (_req, res, { params: { id } }) => {
    const results = await holdoutResults(deps.db, id, longestWindowMs(cfg.ATTRIBUTION_WINDOWS));
    if (!results) throw new HttpProblem(404, 'Not Found', 'No campaign with this id.');
    res.json(results);
  });

  route(router, analyticsRoutes.download, async (_req, res, { params: { kind }, query: filter }) => {
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

  route(router, analyticsRoutes.write, async (_req, res, { body }) => {
    const { kind, destination, ...filter } = body;
    try {
      const written = await writeExport(deps.db, kind, filter, destination, await exportTarget());
      res.locals.audit = { entityId: written.location, kind, destination };
      res.status(201).json({ kind, ...written });
    } catch (err) {
      if (err instanceof ExportDestinationMissing) throw new HttpProblem(409, 'Conflict', err.message);
      throw err;
    }
  });

  return router;
}
