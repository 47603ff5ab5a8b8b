export { default as DataTable } from './data-table.svelte';
export { columnHelper, createServerTable, type ServerTable } from './data-table.ts';
