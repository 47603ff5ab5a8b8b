import { describe, expect, it } from 'vitest';
import {
  customersApiQuery,
  customersCountQuery,
  defaultFilters,
  filtersFromUrl,
  filtersToSearch,
  sortFromSorting,
  sortingOf,
  withChange,
} from './filters.ts';

const read = (qs: string) => filtersFromUrl(new URLSearchParams(qs));

describe('customers table state in the URL', () => {
  it('reads every filter, the sort and the page', () => {
    expect(
      read(
        'q=ann&segment=champions&churnBand=high&clvMin=100&clvMax=250.5&nightBuyer=true&category=whisky&sort=churn_risk&order=asc&cursor=abc',
      ),
    ).toEqual({
      q: 'ann',
      segment: 'champions',
      churnBand: 'high',
      clvMin: 100,
      clvMax: 250.5,
      nightBuyer: true,
      category: 'whisky',
      sort: 'churn_risk',
      order: 'asc',
      cursor: 'abc',
    });
  });

  it('drops what the API would refuse instead of failing the page', () => {
    expect(read('churnBand=extreme&clvMin=-5&clvMax=lots&nightBuyer=maybe&sort=email&order=sideways&q=%20%20')).toEqual(
      defaultFilters,
    );
  });

  it.each([
    [{ ...defaultFilters }, ''],
    [{ ...defaultFilters, nightBuyer: false }, '?nightBuyer=false'],
    [
      { ...defaultFilters, q: 'O’Brien & sons', sort: 'external_id', order: 'asc' },
      '?q=O%E2%80%99Brien+%26+sons&sort=external_id&order=asc',
    ],
  ] as const)('writes %o as "%s" and reads it back', (filters, search) => {
    expect(filtersToSearch(filters)).toBe(search);
    expect(read(search.slice(1))).toEqual(filters);
  });

  it('goes back to the first page when a filter or the sort changes, not when paging', () => {
    const onPage3 = { ...defaultFilters, segment: 'vip', cursor: 'c3' };
    expect(withChange(onPage3, { churnBand: 'low' }).cursor).toBeUndefined();
    expect(withChange(onPage3, { cursor: 'c4' })).toEqual({ ...onPage3, cursor: 'c4' });
  });

  it('loads the page without the count, and counts separately over all pages', () => {
    expect(customersApiQuery({ ...defaultFilters, cursor: 'c2' })).toEqual({
      ...defaultFilters,
      cursor: 'c2',
      limit: 50,
    });
    expect(customersCountQuery({ ...defaultFilters, segment: 'vip', cursor: 'c2' })).toEqual({
      ...defaultFilters,
      segment: 'vip',
      cursor: undefined,
      limit: 1,
      withTotal: true,
    });
  });

  it('maps a header click to the API sort and back', () => {
    expect(sortingOf({ ...defaultFilters, sort: 'total_spent', order: 'asc' })).toEqual([
      { id: 'total_spent', desc: false },
    ]);
    expect(sortFromSorting([{ id: 'last_order_at', desc: true }])).toEqual({ sort: 'last_order_at', order: 'desc' });
    expect(sortFromSorting([{ id: 'name', desc: true }])).toEqual({ sort: 'clv', order: 'desc' });
  });
});
