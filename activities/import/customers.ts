import type { Knex } from 'knex';
import { customerRowSchema, type CustomerRow } from '../../domain/import/rows.ts';
import type { ConsentStatus } from '../../domain/import/values.ts';
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

/** Customer fields stored on `customers` other than its key, with the SQL type of their array. */
const customerColumns: { field: string; column: string; type: string; value: (r: CustomerRow) => unknown }[] = [
  { field: 'email', column: 'email', type: 'text', value: (r) => r.email },
  { field: 'phone', column: 'phone', type: 'text', value: (r) => r.phone },
  { field: 'first_name', column: 'first_name', type: 'text', value: (r) => r.firstName },
  { field: 'last_name', column: 'last_name', type: 'text', value: (r) => r.lastName },
  { field: 'date_of_birth', column: 'date_of_birth', type: 'date', value: (r) => r.dateOfBirth },
  { field: 'age_verified', column: 'age_verified', type: 'boolean', value: (r) => r.ageVerified },
  { field: 'country', column: 'country', type: 'text', value: (r) => r.country },
  { field: 'region', column: 'region', type: 'text', value: (r) => r.region },
  { field: 'postal_code', column: 'postal_code', type: 'text', value: (r) => r.postalCode },
  { field: 'time_zone', column: 'time_zone', type: 'text', value: (r) => r.timeZone },
];

const consentColumns: {
  field: string;
  channel: 'email' | 'sms';
  value: (r: CustomerRow) => ConsentStatus | null | undefined;
}[] = [
  { field: 'email_consent', channel: 'email', value: (r) => r.emailConsent },
  { field: 'sms_consent', channel: 'sms', value: (r) => r.smsConsent },
];

/**
 * Upserts on the retailer's customer id. Only the columns the file has are written, and a
 * customer whose stored values already equal the file's is not touched at all (no new row
 * version, `updated_at` kept), so importing the same file twice changes nothing.
 */
async function writeCustomers(
  trx: Knex.Transaction,
  rows: LinedRow<CustomerRow>[],
  { importId, columns }: WriteContext,
) {
  // One statement cannot upsert the same key twice: within a batch the last row for a customer wins.
  const latest = new Map<string, LinedRow<CustomerRow>>();
  for (const r of rows) latest.set(r.row.customerId, r);
  const unique = [...latest.values()];
  const present = customerColumns.filter((c) => c.field in columns.indexes);

  const names = ['external_id', ...present.map((c) => c.column)];
  const arrays = [`?::text[]`, ...present.map((c) => `?::${c.type}[]`)];
  const bindings = [unique.map((r) => r.row.customerId), ...present.map((c) => unique.map((r) => c.value(r.row)))];
  const onConflict =
    present.length === 0
      ? 'do nothing'
      : `do update set ${present.map((c) => `${c.column} = excluded.${c.column}`).join(', ')}, updated_at = now()
         where (${present.map((c) => `customers.${c.column}`).join(', ')})
           is distinct from (${present.map((c) => `excluded.${c.column}`).join(', ')})`;
  // Unchanged customers are not returned; `xmax = 0` tells a new row from an updated one.
  const written = await trx.raw<{ rows: { external_id: string; inserted: boolean }[] }>(
    `insert into customers (${names.join(', ')})
     select * from unnest(${arrays.join(', ')})
     on conflict (external_id) ${onConflict}
     returning external_id, (xmax = 0) as inserted`,
    sqlArrays(...bindings),
  );
  const inserted = new Set(written.rows.filter((r) => r.inserted).map((r) => r.external_id));
  // A customer counts as updated when its row or its consent changed.
  const updated = new Set(written.rows.filter((r) => !r.inserted).map((r) => r.external_id));
  for (const id of await recordConsents(trx, unique, importId, columns.indexes)) if (!inserted.has(id)) updated.add(id);
  return {
    inserted: inserted.size,
    updated: updated.size,
    unchanged: unique.length - inserted.size - updated.size,
    duplicate: rows.length - unique.length,
    rejections: [],
  };
}

/**
 * A consent row only where the file's answer differs from the customer's latest for that channel,
 * and never an opt-in over an opt-out the customer gave us directly.
 */
async function recordConsents(
  trx: Knex.Transaction,
  rows: LinedRow<CustomerRow>[],
  importId: string,
  present: Record<string, number>,
): Promise<string[]> {
  const consents = consentColumns
    .filter((c) => c.field in present)
    .flatMap((c) =>
      rows.flatMap((r) => {
        const status = c.value(r.row);
        return status ? [{ customerId: r.row.customerId, channel: c.channel, status, line: r.line }] : [];
      }),
    );
  if (consents.length === 0) return [];
  const recorded = await trx.raw<{ rows: { external_id: string }[] }>(
    `with recorded as (
       insert into consents (customer_id, channel, status, source, evidence)
       select c.id, i.channel, i.status, 'import', jsonb_build_object('importId', ?::text, 'line', i.line)
       from unnest(?::text[], ?::text[], ?::text[], ?::int[]) as i(external_id, channel, status, line)
       join customers c on c.external_id = i.external_id
       left join lateral (
         select k.status, k.source from consents k
         where k.customer_id = c.id and k.channel = i.channel
         order by k.recorded_at desc
         limit 1) last on true
       where i.status is distinct from last.status
         -- An opt-out the customer made themselves (STOP, an unsubscribe link, the preference
         -- page) is never undone by a file from another system.
         and not coalesce(i.status = 'opted_in' and last.status = 'opted_out' and last.source <> 'import', false)
       returning customer_id
     )
     select distinct c.external_id from recorded join customers c on c.id = recorded.customer_id`,
    sqlArrays(
      importId,
      consents.map((c) => c.customerId),
      consents.map((c) => c.channel),
      consents.map((c) => c.status),
      consents.map((c) => c.line),
    ),
  );
  return recorded.rows.map((r) => r.external_id);
}

const customersHandler: ImportHandler<CustomerRow> = {
  kind: 'customers',
  schema: (options) =>
    customerRowSchema({ defaultPhoneRegion: options.defaultPhoneRegion, today: todayIn(options.storeTimeZone) }),
  write: writeCustomers,
};

/** Imports customers from CSV bytes or JSON rows; see `ImportReport` for what it promises. */
export function importCustomers(db: Db, source: ImportSource, options: ImportOptions): Promise<ImportReport> {
  return runImport(db, customersHandler, source, options);
}

/** Reads and validates customers without writing anything. */
export function scanCustomers(source: ImportSource, options: ImportOptions): Promise<ScanResult> {
  return scanImport(customersHandler, source, options);
}

function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}
