/**
 * Customer and order imports: CSV files from the operator CLI and JSON rows from the API go
 * through the same validation and the same batched, idempotent writes.
 */
export { importCustomers, scanCustomers } from './customers.ts';
export { ImportFileError } from './encoding.ts';
export { importOrders, scanOrders } from './orders.ts';
export type { ScanResult } from './pipeline.ts';
export { getImportReport } from './store.ts';
export type {
  ImportColumns,
  ImportKind,
  ImportOptions,
  ImportProgress,
  ImportReport,
  ImportSource,
  ImportSourceKind,
  ImportStatus,
  Rejection,
} from './types.ts';
