import type { Knex } from 'knex';
import type { Db } from '../../platform/db.ts';
import {
  generateLiquorStore,
  type GeneratedCustomer,
  type LiquorStoreOptions,
  type ResolvedLiquorStoreOptions,
} from './liquor-store.ts';

export interface SeedProgress {
  customersDone: number;
  customerCount: number;
  customersInserted: number;
  ordersInserted: number;
  consentsInserted: number;
  elapsedMs: number;
}

export interface SeedDemoOptions extends LiquorStoreOptions {
  /** Rows per INSERT statement, and customers per transaction. */
  batchSize?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedDemoResult {
  store: ResolvedLiquorStoreOptions;
  customers: { inserted: number; alreadyPresent: number };
  /** Orders of customers that were already present are left alone and counted as present. */
  orders: { inserted: number; alreadyPresent: number };
  consents: { inserted: number };
  elapsedMs: number;
}

async function insertInChunks<T extends object>(
  trx: Knex.Transaction,
  table: string,
  rows: T[],
  size: number,
  conflictColumn?: string,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += size) {
    const query = trx(table).insert(rows.slice(i, i + size));
    const returned = conflictColumn
      ? await query.onConflict(conflictColumn).ignore().returning('id')
      : await query.returning('id');
    inserted += returned.length;
  }
  return inserted;
}

/**
 * Inserts a generated liquor store with multi-row INSERTs. Idempotent: customers are matched on
 * their external id, and a customer that is already there — from an earlier run or a real
 * import — is left exactly as it is, orders and consents included. Each batch of customers goes
 * in one transaction, so an interrupted run leaves no customer without its orders.
 */
export async function seedDemo(db: Db, options: SeedDemoOptions): Promise<SeedDemoResult> {
  const started = performance.now();
  const { batchSize = 1_000, onProgress, ...storeOptions } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new RangeError('batchSize must be a positive integer');
  const store = generateLiquorStore(storeOptions);
  const result: SeedDemoResult = {
    store: store.options,
    customers: { inserted: 0, alreadyPresent: 0 },
    orders: { inserted: 0, alreadyPresent: 0 },
    consents: { inserted: 0 },
    elapsedMs: 0,
  };
  let done = 0;

  for (const batch of store.batches(batchSize)) {
    await db.transaction(async (trx) => {
      const fresh = await insertNewCustomers(trx, batch);
      const orders = fresh.flatMap((c) => c.orders);
      const ordersInserted = await insertInChunks(trx, 'orders', orders, batchSize, 'external_id');
      const consentsInserted = await insertInChunks(
        trx,
        'consents',
        fresh.flatMap((c) => c.consents),
        batchSize,
      );
      result.customers.inserted += fresh.length;
      result.customers.alreadyPresent += batch.length - fresh.length;
      result.orders.inserted += ordersInserted;
      result.orders.alreadyPresent += batch.reduce((n, c) => n + c.orders.length, 0) - ordersInserted;
      result.consents.inserted += consentsInserted;
    });
    done += batch.length;
    onProgress?.({
      customersDone: done,
      customerCount: store.options.customerCount,
      customersInserted: result.customers.inserted,
      ordersInserted: result.orders.inserted,
      consentsInserted: result.consents.inserted,
      elapsedMs: performance.now() - started,
    });
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

async function insertNewCustomers(trx: Knex.Transaction, batch: GeneratedCustomer[]): Promise<GeneratedCustomer[]> {
  const inserted: { external_id: string }[] = await trx('customers')
    .insert(batch.map((c) => c.customer))
    .onConflict('external_id')
    .ignore()
    .returning('external_id');
  if (inserted.length === batch.length) return batch;
  const fresh = new Set(inserted.map((r) => r.external_id));
  return batch.filter((c) => fresh.has(c.customer.external_id));
}
