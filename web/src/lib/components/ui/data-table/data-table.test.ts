import { describe, expect, it } from 'vitest';
import { columnHelper, createServerTable } from './data-table.ts';

type Row = { id: string; name: string; clv: number };
const helper = columnHelper<Row>();
const columns = helper.columns([
  helper.accessor('name', { header: 'Name', enableSorting: false }),
  helper.accessor('clv', { header: 'CLV', sortDescFirst: true }),
]);
const data: Row[] = [
  { id: 'b', name: 'Bea', clv: 10 },
  { id: 'a', name: 'Al', clv: 30 },
];

describe('the server-sorted table', () => {
  it('keeps the rows in the order the server sent them', () => {
    const table = createServerTable({
      data,
      columns,
      getRowId: (r) => r.id,
      sorting: [{ id: 'clv', desc: false }],
      onSortingChange: () => {},
    });
    expect(table.getRowModel().rows.map((r) => r.id)).toEqual(['b', 'a']);
    expect(table.getColumn('clv')!.getIsSorted()).toBe('asc');
    expect(table.getColumn('name')!.getCanSort()).toBe(false);
  });

  it('turns a header click into the next sorting, for the page to load', () => {
    const seen: unknown[] = [];
    const table = createServerTable({
      data,
      columns,
      getRowId: (r) => r.id,
      sorting: [{ id: 'clv', desc: true }],
      onSortingChange: (s) => seen.push(s),
    });
    table.getColumn('clv')!.toggleSorting();
    expect(seen).toEqual([[{ id: 'clv', desc: false }]]);
  });
});
