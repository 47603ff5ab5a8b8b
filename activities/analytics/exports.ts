import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { csvLine, type CsvValue } from '../../domain/analytics/csv.ts';
import type { Db } from '../../platform/db.ts';

/**
 * Streamed CSV exports of sends, events and campaign results. Rows are read through a
 * server-side cursor a thousand at a time and written as they come, so an export of any size
 * holds one batch in memory, and a slow reader (a download, an upload) slows the cursor down
 * rather than filling memory. The same stream goes to an HTTP response, a file in the export
 * directory or an S3-compatible bucket (multipart upload, in parts of 5 MiB).
 */

export const exportKinds = ['sends', 'events', 'campaign-results'] as const;
export type ExportKind = (typeof exportKinds)[number];

export interface ExportFilter {
  campaignId?: string;
  /** Inclusive dates YYYY-MM-DD (UTC days for sends and events, the campaign's calendar for results). */
  from?: string;
  to?: string;
}

interface ExportQuery {
  columns: string[];
  sql: string;
  bindings: Record<string, unknown>;
}

function queryOf(kind: ExportKind, f: ExportFilter): ExportQuery {
  const bindings = { campaign: f.campaignId ?? null, from: f.from ?? null, to: f.to ?? null };
  const range = (column: string) => `(cast(:from as date) is null or ${column} >= cast(:from as date))
     and (cast(:to as date) is null or ${column} < cast(:to as date) + 1)`;
  switch (kind) {
    case 'sends':
      return {
        columns: [
          'send_id',
          'campaign_id',
          'customer_id',
          'customer_external_id',
          'channel',
          'day',
          'status',
          'skip_reason',
          'provider',
          'attempts',
          'error_code',
          'sent_at',
          'delivered_at',
          'opened_at',
          'clicked_at',
          'failed_at',
          'attributed_orders',
          'attributed_revenue',
        ],
        sql: `select s.id, s.campaign_id, s.customer_id, c.external_id, s.channel, s.day, s.status, s.skip_reason,
                     s.provider, s.attempts, s.error_code, s.sent_at, s.delivered_at, s.opened_at, s.clicked_at,
                     s.failed_at,
                     (select count(*) from order_attributions a where a.send_id = s.id)::int as attributed_orders,
                     (select sum(a.revenue) from order_attributions a where a.send_id = s.id)::text as attributed_revenue
              from sends s join customers c on c.id = s.customer_id
              where (cast(:campaign as uuid) is null or s.campaign_id = cast(:campaign as uuid))
                and ${range('s.created_at')}
              order by s.created_at, s.id`,
        bindings,
      };
    case 'events':
      return {
        columns: [
          'event_id',
          'occurred_at',
          'type',
          'customer_id',
          'campaign_id',
          'send_id',
          'channel',
          'revenue',
          'properties',
        ],
        sql: `select id, occurred_at, type, customer_id, campaign_id, send_id, channel, revenue::text as revenue, properties
              from analytics_events
              where (cast(:campaign as uuid) is null or campaign_id = cast(:campaign as uuid))
                and ${range('occurred_at')}
              order by occurred_at, id`,
        bindings,
      };
    case 'campaign-results':
      return {
        columns: [
          'campaign_id',
          'campaign_name',
          'day',
          'channel',
          'segment',
          'planned',
          'sent',
          'delivered',
          'opened',
          'clicked',
          'failed',
          'converted',
          'revenue',
        ],
        sql: `with planned as (
                select a.campaign_id, a.scheduled_on as day, ch as channel, a.segment_key as segment,
                       'planned' as type, count(*) as sends, 0 as events, 0 as revenue
                from actions a cross join unnest(a.channels) as ch
                where cast(:campaign as uuid) is null or a.campaign_id = cast(:campaign as uuid)
                group by 1, 2, 3, 4
              ), together as (
                select * from planned
                union all
                select d.campaign_id, d.day, d.channel, g.key, d.type, d.sends, d.events, d.revenue
                from analytics_daily d left join segments g on g.id = d.segment_id
                where d.campaign_id is not null
                  and (cast(:campaign as uuid) is null or d.campaign_id = cast(:campaign as uuid))
              )
              select t.campaign_id, k.name, to_char(t.day, 'YYYY-MM-DD') as day, t.channel, t.segment,
                     coalesce(sum(sends) filter (where t.type = 'planned'), 0)::int as planned,
                     coalesce(sum(sends) filter (where t.type = 'sent'), 0)::int as sent,
                     coalesce(sum(sends) filter (where t.type = 'delivered'), 0)::int as delivered,
                     coalesce(sum(sends) filter (where t.type = 'opened'), 0)::int as opened,
                     coalesce(sum(sends) filter (where t.type = 'clicked'), 0)::int as clicked,
                     coalesce(sum(sends) filter (where t.type in ('failed', 'bounced')), 0)::int as failed,
                     coalesce(sum(events) filter (where t.type = 'converted'), 0)::int as converted,
                     coalesce(sum(revenue) filter (where t.type = 'converted'), 0)::text as revenue
              from together t join campaigns k on k.id = t.campaign_id
              where (cast(:from as date) is null or t.day >= cast(:from as date))
                and (cast(:to as date) is null or t.day <= cast(:to as date))
              group by t.campaign_id, k.name, t.day, t.channel, t.segment
              order by t.campaign_id, t.day, t.channel, t.segment`,
        bindings,
      };
  }
}

const FETCH = 1_000;

/** The export as CSV text chunks: a header line, then a chunk per fetched batch of rows. */
export async function* exportCsv(db: Db, kind: ExportKind, filter: ExportFilter): AsyncGenerator<string> {
  const q = queryOf(kind, filter);
  const trx = await db.transaction();
  try {
    const cursor = `export_${randomUUID().replaceAll('-', '')}`;
    // Declared before the header is yielded: a query that cannot run fails before any byte is out.
    await trx.raw(`declare ${cursor} no scroll cursor for ${q.sql}`, q.bindings as never);
    yield csvLine(q.columns);
    for (;;) {
      const { rows } = await trx.raw<{ rows: Record<string, CsvValue>[] }>(`fetch ${FETCH} from ${cursor}`);
      if (rows.length === 0) break;
      let chunk = '';
      for (const row of rows) chunk += csvLine(Object.values(row));
      yield chunk;
      if (rows.length < FETCH) break;
    }
    await trx.commit();
  } finally {
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
  }
}

export function exportFileName(kind: ExportKind, now = new Date()): string {
  return `${kind}-${now.toISOString().replace(/[:.]/g, '-')}.csv`;
}

/** Counts what passes, so a finished export can say how big it was. */
function counter() {
  const seen = { bytes: 0 };
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen.bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, seen };
}

export interface ExportTarget {
  /** A directory to write into. */
  directory?: string;
  s3?: { client: S3Client; bucket: string; prefix: string };
}

export interface WrittenExport {
  destination: 'directory' | 's3';
  location: string;
  bytes: number;
}

/** Writes to the directory (under a temporary name until complete) or the bucket. */
export async function writeExport(
  db: Db,
  kind: ExportKind,
  filter: ExportFilter,
  destination: 'directory' | 's3',
  target: ExportTarget,
  now = new Date(),
): Promise<WrittenExport> {
  const name = exportFileName(kind, now);
  const { stream: count, seen } = counter();
  if (destination === 'directory') {
    if (!target.directory) throw new ExportDestinationMissing('EXPORT_DIR is not set.');
    await mkdir(target.directory, { recursive: true });
    const final = path.join(target.directory, name);
    const partial = `${final}.partial`;
    try {
      await pipeline(Readable.from(exportCsv(db, kind, filter)), count, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, final);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return { destination, location: final, bytes: seen.bytes };
  }
  if (!target.s3) throw new ExportDestinationMissing('EXPORT_S3_BUCKET is not set.');
  const key = `${target.s3.prefix}${name}`;
  const body = new PassThrough();
  // The AWS SDK (~70 MiB once loaded) is only for S3 exports: every worker and API imports this module.
  const { Upload } = await import('@aws-sdk/lib-storage');
  const upload = new Upload({
    client: target.s3.client,
    params: { Bucket: target.s3.bucket, Key: key, Body: body, ContentType: 'text/csv; charset=utf-8' },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  await Promise.all([pipeline(Readable.from(exportCsv(db, kind, filter)), count, body), upload.done()]);
  return { destination, location: `s3://${target.s3.bucket}/${key}`, bytes: seen.bytes };
}

export class ExportDestinationMissing extends Error {
  override name = 'ExportDestinationMissing';
}

/** The export bucket's client, from the config; credentials from the AWS SDK's usual chain. */
export async function exportS3Client(cfg: {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    // S3-compatible stores often reject the newer default checksums on streamed bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
