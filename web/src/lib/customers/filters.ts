/**
 * The customers table's state — filters, sorting and page — lives in the page's URL, so a
 * filtered view can be bookmarked, shared and reloaded, and the back button works. These turn
 * the URL into the API's query and back.
 */

export const customerSorts = ['clv', 'churn_risk', 'total_spent', 'last_order_at', 'external_id'] as const;
export type CustomerSort = (typeof customerSorts)[number];
export const churnBands = ['low', 'medium', 'high'] as const;
export type ChurnBand = (typeof churnBands)[number];

export interface CustomerFilters {
  q?: string;
  segment?: string;
  churnBand?: ChurnBand;
  clvMin?: number;
  clvMax?: number;
  nightBuyer?: boolean;
  category?: string;
  sort: CustomerSort;
  order: 'asc' | 'desc';
  cursor?: string;
}

export const PAGE_SIZE = 50;
export const defaultFilters: CustomerFilters = { sort: 'clv', order: 'desc' };

function nonNegative(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function text(v: string | null, max: number): string | undefined {
  const t = v?.trim();
  return t ? t.slice(0, max) : undefined;
}

/** Reads the table state from a URL, dropping anything the API would refuse. */
export function filtersFromUrl(params: URLSearchParams): CustomerFilters {
  const sort = params.get('sort');
  const band = params.get('churnBand');
  const night = params.get('nightBuyer');
  return {
    q: text(params.get('q'), 100),
    segment: text(params.get('segment'), 60),
    churnBand: (churnBands as readonly string[]).includes(band ?? '') ? (band as ChurnBand) : undefined,
    clvMin: nonNegative(params.get('clvMin')),
    clvMax: nonNegative(params.get('clvMax')),
    nightBuyer: night === 'true' ? true : night === 'false' ? false : undefined,
    category: text(params.get('category'), 100),
    sort: (customerSorts as readonly string[]).includes(sort ?? '') ? (sort as CustomerSort) : defaultFilters.sort,
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
    cursor: text(params.get('cursor'), 500),
  };
}

/** The page URL's query for a table state; defaults are left out to keep links short. */
export function filtersToSearch(f: CustomerFilters): string {
  const params = new URLSearchParams();
  const entries: [string, string | number | boolean | undefined][] = [
    ['q', f.q],
    ['segment', f.segment],
    ['churnBand', f.churnBand],
    ['clvMin', f.clvMin],
    ['clvMax', f.clvMax],
    ['nightBuyer', f.nightBuyer],
    ['category', f.category],
    ['sort', f.sort === defaultFilters.sort ? undefined : f.sort],
    ['order', f.order === defaultFilters.order ? undefined : f.order],
    ['cursor', f.cursor],
  ];
  for (const [key, value] of entries) if (value !== undefined && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** GET /api/customers's query for a table state: one page, without the count (slow on big stores). */
export function customersApiQuery(f: CustomerFilters): Record<string, string | number | boolean | undefined> {
  return { ...f, limit: PAGE_SIZE };
}

/**
 * The query that counts the customers matching the filters. The page asks it after the table is
 * on screen, so counting a million rows never holds up the first render.
 */
export function customersCountQuery(f: CustomerFilters): Record<string, string | number | boolean | undefined> {
  return { ...f, cursor: undefined, limit: 1, withTotal: true };
}

/** A new filter or sort starts again from the first page. */
export function withChange(f: CustomerFilters, change: Partial<CustomerFilters>): CustomerFilters {
  return { ...f, ...change, cursor: 'cursor' in change ? change.cursor : undefined };
}

/** TanStack's sorting state for the current sort, and back. */
export function sortingOf(f: CustomerFilters): { id: string; desc: boolean }[] {
  return [{ id: f.sort, desc: f.order === 'desc' }];
}

export function sortFromSorting(sorting: { id: string; desc: boolean }[]): Pick<CustomerFilters, 'sort' | 'order'> {
  const first = sorting[0];
  if (!first || !(customerSorts as readonly string[]).includes(first.id)) return defaultFilters;
  return { sort: first.id as CustomerSort, order: first.desc ? 'desc' : 'asc' };
}
