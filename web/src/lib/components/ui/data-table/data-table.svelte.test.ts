import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import DataTable from './data-table.svelte';
import { columnHelper, createServerTable, type ServerTable } from './data-table.ts';

type Row = { id: string; name: string; clv: number };
const helper = columnHelper<Row>();
const columns = helper.columns([
  helper.accessor('name', { header: 'Name', enableSorting: false }),
  helper.accessor('clv', { header: 'CLV', meta: { align: 'right' } }),
]);

// Rendered through testing-library, the component's row type is not inferred: unknown is enough.
function table(rows: Row[], onSortingChange = vi.fn()): ServerTable<unknown> {
  return createServerTable<Row>({
    data: rows,
    columns,
    getRowId: (r) => r.id,
    sorting: [{ id: 'clv', desc: true }],
    onSortingChange,
  }) as unknown as ServerTable<unknown>;
}

afterEach(cleanup);

describe('<DataTable>', () => {
  it('shows the rows, and which column the server sorted by', () => {
    render(DataTable, { table: table([{ id: 'a', name: 'Al', clv: 30 }]), caption: 'Customers' });
    expect(screen.getByRole('table', { name: 'Customers' })).toBeTruthy();
    expect(screen.getByRole('cell', { name: 'Al' })).toBeTruthy();
    const clv = screen.getByRole('columnheader', { name: /CLV/ });
    expect(clv.getAttribute('aria-sort')).toBe('descending');
    // Only sortable columns get a button.
    expect(screen.queryByRole('button', { name: /Name/ })).toBeNull();
  });

  it('asks for the other order when the sorted header is clicked', async () => {
    const onSortingChange = vi.fn();
    render(DataTable, { table: table([{ id: 'a', name: 'Al', clv: 30 }], onSortingChange) });
    await fireEvent.click(screen.getByRole('button', { name: /CLV/ }));
    expect(onSortingChange).toHaveBeenCalledWith([{ id: 'clv', desc: false }]);
  });

  it('says so when nothing matches', () => {
    render(DataTable, { table: table([]), empty: 'No customer matches these filters.' });
    expect(screen.getByText('No customer matches these filters.')).toBeTruthy();
  });
});
