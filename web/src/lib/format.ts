/** How the app writes numbers, money, rates and times: one place, the browser's locale. */

const number = new Intl.NumberFormat(undefined);
const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

const missing = '—';

export function formatNumber(n: number | string | null | undefined): string {
  return n === null || n === undefined || n === '' ? missing : number.format(Number(n));
}

export function formatMoney(n: number | string | null | undefined): string {
  return n === null || n === undefined || n === '' ? missing : money.format(Number(n));
}

/** A 0–1 ratio as a percentage; no data is "—", not 0 %. */
export function formatRate(r: number | null | undefined): string {
  return r === null || r === undefined ? missing : percent.format(r);
}

export function formatDateTime(d: string | Date | null | undefined): string {
  return d ? dateTime.format(new Date(d)) : missing;
}

/** A calendar date (`2026-11-27`) stays that day whatever the browser's time zone. */
export function formatDate(d: string | Date | null | undefined): string {
  if (!d) return missing;
  if (typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)) {
    const [y, m, day] = d.split('-').map(Number) as [number, number, number];
    return date.format(new Date(y, m - 1, day));
  }
  return date.format(new Date(d));
}

export function titleCase(s: string | null | undefined): string {
  return s ? s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()) : missing;
}
