import type { Db } from '../../platform/db.ts';
import { BadCursor } from './customers.ts';

/**
 * The sandbox provider's outbox: what would have gone to Mailgun or Twilio. Newest first, in
 * keyset pages on (created_at, id). The cursor carries the timestamp at PostgreSQL's
 * microsecond precision: a JavaScript Date would round it and skip or repeat rows.
 */

export interface OutboxQuery {
  channel?: 'email' | 'sms';
  sendId?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

interface Cursor {
  at: string;
  id: string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const utcMicros = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (typeof c.id === 'string' && uuid.test(c.id) && typeof c.at === 'string' && utcMicros.test(c.at)) return c;
  } catch {
    // not JSON: refused below
  }
  throw new BadCursor('The cursor is not one this API returned.');
}

const columns = [
  'o.id',
  'o.channel',
  'o.to_address as to',
  'o.from_address as from',
  'o.subject',
  'o.body_text as text',
  'o.provider_message_id as providerMessageId',
  'o.send_id as sendId',
  'o.created_at as createdAt',
];

export async function listOutbox(db: Db, q: OutboxQuery) {
  const b = db('outbox as o').select(
    ...columns,
    db.raw(`to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`),
  );
  if (q.channel) b.where('o.channel', q.channel);
  if (q.sendId) b.where('o.send_id', q.sendId);
  if (q.to) b.where('o.to_address', q.to);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    b.whereRaw('(o.created_at, o.id) < (cast(? as timestamptz), cast(? as uuid))', [c.at, c.id]);
  }
  b.orderBy([
    { column: 'o.created_at', order: 'desc' },
    { column: 'o.id', order: 'desc' },
  ]).limit(q.limit + 1);
  const rows = (await b) as (Record<string, unknown> & { id: string; cursor_at: string })[];
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > q.limit && last
      ? Buffer.from(JSON.stringify({ at: last.cursor_at, id: last.id } satisfies Cursor)).toString('base64url')
      : null;
  return { items: page.map(({ cursor_at: _, ...row }) => row), nextCursor };
}

export async function getOutboxMessage(db: Db, id: string) {
  return db('outbox as o')
    .where('o.id', id)
    .first(...columns, 'o.body_html as html', 'o.headers');
}
