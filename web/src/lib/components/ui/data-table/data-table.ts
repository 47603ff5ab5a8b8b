import {
  constructTable,
  createColumnHelper,
  rowSortingFeature,
  tableFeatures,
  type RowData,
  type SortingState,
  type Updater,
} from '@tanstack/table-core';
import { storeReactivityBindings } from '@tanstack/table-core/store-reactivity-bindings';

/**
 * A small Svelte adapter for TanStack Table (v9), in the spirit of shadcn-svelte's data-table
 * helper: the server sorts and pages, so the table only keeps the column model and turns header
 * clicks into a new sorting, which the page puts in its URL.
 */
export const serverTableFeatures = tableFeatures({
  coreReactivityFeature: storeReactivityBindings(),
  rowSortingFeature,
});
export type ServerTableFeatures = typeof serverTableFeatures;

export function columnHelper<TData extends RowData>() {
  return createColumnHelper<ServerTableFeatures, TData>();
}

export interface ServerTableOptions<TData> {
  data: TData[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- column value types vary per column
  columns: any[];
  getRowId: (row: TData) => string;
  sorting: SortingState;
  onSortingChange: (sorting: SortingState) => void;
}

export function createServerTable<TData>(options: ServerTableOptions<TData>) {
  return constructTable<ServerTableFeatures, TData & object>({
    features: serverTableFeatures,
    columns: options.columns,
    data: options.data as (TData & object)[],
    getRowId: options.getRowId as (row: TData & object) => string,
    manualSorting: true,
    enableMultiSort: false,
    // The API sorts one column, so a third click goes back to descending rather than "unsorted".
    enableSortingRemoval: false,
    state: { sorting: options.sorting },
    onSortingChange: (updater: Updater<SortingState>) =>
      options.onSortingChange(typeof updater === 'function' ? updater(options.sorting) : updater),
  });
}

export type ServerTable<TData> = ReturnType<typeof createServerTable<TData>>;
