import type { ClientBase } from 'pg';
import type { Db } from '../../platform/db.ts';
import type { CustomerRow, GeneratedCustomer, LiquorStore, OrderRow } from './liquor-store.ts';

/**
 * Loads a generated store's customers and orders for benchmarks, as fast as node-postgres allows
 * without COPY: one `insert … select * from unnest($1::uuid[], …)` per ~20,000 orders (and the
 * customers they belong to), pipelined so that Node generates the next batch while PostgreSQL
 * inserts the last. As PostgreSQL's "Populating a Database" advises, the tables' indexes and
 * constraints are dropped for the load and rebuilt after it — all in one transaction, so a failed
 * load leaves the schema as it was. Consents are left out: scoring never reads them. Meant for
 * emptied tables.
 */

export interface BulkLoadOptions {
  /** Orders per INSERT statement (a batch ends on a customer boundary). */
  batchOrders?: number;
  /** Sees every customer, truth included, as it is generated. */
  onCustomer?: (c: GeneratedCustomer) => void;
}

export interface BulkLoadResult {
  customers: number;
  orders: number;
  statements: number;
  elapsedMs: number;
  /** Of which rebuilding the indexes and constraints after the inserts. */
  rebuildMs: number;
  /** Of which Node waited for PostgreSQL; the rest is generating rows and sending them. */
  waitingMs: number;
}

const customerColumns = {
  id: 'uuid',
  external_id: 'text',
  email: 'text',
  phone: 'text',
  first_name: 'text',
  last_name: 'text',
  date_of_birth: 'date',
  age_verified: 'boolean',
  country: 'text',
  region: 'text',
  postal_code: 'text',
  time_zone: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
} as const satisfies Record<keyof CustomerRow, string>;

const orderColumns = {
  id: 'uuid',
  external_id: 'text',
  customer_id: 'uuid',
  ordered_at: 'timestamptz',
  total: 'numeric',
  currency: 'text',
  category: 'text',
  item_count: 'int',
  channel: 'text',
  created_at: 'timestamptz',
} as const satisfies Record<keyof OrderRow, string>;

/** Rows of one table as one array per column, the shape `unnest` takes. */
class ColumnBatch<Row extends object> {
  readonly #names: (keyof Row & string)[];
  readonly #sql: string;
  #columns: unknown[][] = [];
  length = 0;

  constructor(table: string, types: Record<keyof Row & string, string>) {
    this.#names = Object.keys(types) as (keyof Row & string)[];
    const unnest = this.#names.map((c, i) => `$${i + 1}::${types[c]}[]`).join(', ');
    this.#sql = `insert into ${table} (${this.#names.join(', ')}) select * from unnest(${unnest})`;
    this.#reset();
  }

  add(row: Row): void {
    this.#names.forEach((c, i) => this.#columns[i]!.push(row[c]));
    this.length++;
  }

  /** Sends the rows (the client queues it behind earlier statements) and starts a new batch. */
  send(client: ClientBase): Promise<unknown> {
    const sent = client.query(this.#sql, this.#columns);
    this.#reset();
    return sent;
  }

  #reset(): void {
    this.#columns = this.#names.map(() => []);
    this.length = 0;
  }
}

/**
 * Drops a table's indexes and constraints, except keys that other tables' foreign keys need, and
 * returns the statements that recreate them.
 */
async function dropSecondaryStructures(client: ClientBase, table: string): Promise<string[]> {
  const { rows: constraints } = await client.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(c.oid) as def
     from pg_constraint c
     where c.conrelid = $1::regclass and c.contype in ('p', 'u', 'f')
       and not (c.contype in ('p', 'u') and exists (
         select 1 from pg_constraint r where r.contype = 'f' and r.confrelid = c.conrelid and r.conindid = c.conindid))
     order by c.contype desc, c.conname`,
    [table],
  );
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
     from pg_index i
     where i.indrelid = $1::regclass
       and not exists (select 1 from pg_constraint c where c.conrelid = i.indrelid and c.conindid = i.indexrelid)
     order by 1`,
    [table],
  );
  for (const c of constraints) await client.query(`alter table ${table} drop constraint ${c.name}`);
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  // Keys first ('u', 'p'), then foreign keys, then plain indexes.
  return [
    ...constraints.map((c) => `alter table ${table} add constraint ${c.name} ${c.def}`),
    ...indexes.map((i) => i.def),
  ];
}

export async function bulkLoadStore(
  db: Db,
  store: LiquorStore,
  options: BulkLoadOptions = {},
): Promise<BulkLoadResult> {
  const { batchOrders = 20_000, onCustomer } = options;
  const started = performance.now();
  const customers = new ColumnBatch<CustomerRow>('customers', customerColumns);
  const orders = new ColumnBatch<OrderRow>('orders', orderColumns);
  const result = { customers: 0, orders: 0, statements: 0, waitingMs: 0, rebuildMs: 0 };
  const client = (await db.client.acquireConnection()) as ClientBase;
  try {
    await client.query('begin');
    const rebuild = [
      ...(await dropSecondaryStructures(client, 'orders')),
      ...(await dropSecondaryStructures(client, 'customers')),
    ];
    let inFlight: Promise<unknown> = Promise.resolve();
    const wait = async () => {
      const from = performance.now();
      await inFlight;
      result.waitingMs += performance.now() - from;
    };
    const flush = async () => {
      // One batch in flight: PostgreSQL inserts it while the loop generates the next.
      await wait();
      result.statements += 2;
      inFlight = Promise.all([customers.send(client), orders.send(client)]);
      // Awaited at the next flush; this only keeps a failure from counting as unhandled meanwhile.
      inFlight.catch(() => undefined);
    };
    for (const c of store.customers()) {
      onCustomer?.(c);
      customers.add(c.customer);
      for (const o of c.orders) orders.add(o);
      result.customers++;
      result.orders += c.orders.length;
      if (orders.length >= batchOrders) await flush();
    }
    if (customers.length > 0) await flush();
    await wait();

    const rebuildFrom = performance.now();
    await client.query("set local maintenance_work_mem = '512MB'");
    for (const statement of rebuild) await client.query(statement);
    await client.query('commit');
    result.rebuildMs = performance.now() - rebuildFrom;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await db.client.releaseConnection(client);
  }
  return { ...result, elapsedMs: performance.now() - started };
}
