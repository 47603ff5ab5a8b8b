import type { Knex } from 'knex';
import { orderRowSchema, type OrderRow } from '../../domain/import/rows.ts';
import type { Db } from '../../platform/db.ts';
import {
  runImport,
  scanImport,
  type ImportHandler,
  type LinedRow,
  type ScanResult,
  type WriteContext,
} from './pipeline.ts';
import { sqlArrays } from './store.ts';
import type { ImportOptions, ImportReport, ImportSource } from './types.ts';

/**
 * Orders are never changed once imported: an order id already in the database (or earlier in the
 * same batch) is skipped and counted as a duplicate. The customer is found by the retailer's
 * customer id in the same statement; an order for a customer the database does not know is
 * rejected on its own.
 */
async function writeOrders(trx: Knex.Transaction, rows: LinedRow<OrderRow>[], { columns }: WriteContext) {
  const result = await trx.raw<{ rows: { inserted: number; unknown: number[] }[] }>(
    `with input as (
       select * from unnest(?::text[], ?::text[], ?::timestamptz[], ?::numeric[], ?::text[], ?::int[], ?::text[], ?::text[])
         with ordinality as i(external_id, customer_external_id, ordered_at, total, currency, item_count, category, channel, n)
     ), resolved as (
       select input.*, c.id as customer_id
       from input left join customers c on c.external_id = input.customer_external_id
     ), inserted as (
       insert into orders (external_id, customer_id, ordered_at, total, currency, item_count, category, channel)
       select external_id, customer_id, ordered_at, total, currency, item_count, category, channel
       from resolved where customer_id is not null
       order by n
       on conflict (external_id) do nothing
       returning 1
     )
     select (select count(*) from inserted)::int as inserted,
            array(select n::int from resolved where customer_id is null order by n) as unknown`,
    sqlArrays(
      rows.map((r) => r.row.orderId),
      rows.map((r) => r.row.customerId),
      rows.map((r) => r.row.orderedAt),
      rows.map((r) => r.row.total),
      rows.map((r) => r.row.currency),
      rows.map((r) => r.row.itemCount),
      rows.map((r) => r.row.category),
      rows.map((r) => r.row.channel),
    ),
  );
  const { inserted, unknown } = result.rows[0]!;
  const customerColumn = columns.headers.customer_id ?? 'customer_id';
  const rejections = unknown.map((n) => {
    const { line, row } = rows[n - 1]!;
    return { line, column: customerColumn, value: row.customerId, reason: `unknown customer_id ${row.customerId}` };
  });
  return {
    inserted,
    updated: 0,
    unchanged: 0,
    duplicate: rows.length - unknown.length - inserted,
    rejections,
  };
}

const ordersHandler: ImportHandler<OrderRow> = {
  kind: 'orders',
  schema: (options) => orderRowSchema({ storeTimeZone: options.storeTimeZone }),
  write: writeOrders,
};

/** Imports orders from CSV bytes or JSON rows; see `ImportReport` for what it promises. */
export function importOrders(db: Db, source: ImportSource, options: ImportOptions): Promise<ImportReport> {
  return runImport(db, ordersHandler, source, options);
}

/** Reads and validates orders without writing anything. */
export function scanOrders(source: ImportSource, options: ImportOptions): Promise<ScanResult> {
  return scanImport(ordersHandler, source, options);
}
