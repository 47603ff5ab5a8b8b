/**
 * CSV cells and lines (RFC 4180), safe to open in a spreadsheet.
 *
 * Formula injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
 * would be run as a formula by Excel, LibreOffice or Google Sheets (OWASP "CSV Injection"); it is
 * prefixed with a single quote, which spreadsheets show as text. Numbers are written as they are
 * (a negative number is data, not a formula). A cell holding a comma, a quote or a line break
 * is quoted, quotes doubled.
 */

export type CsvValue = string | number | boolean | Date | null | undefined | Record<string, unknown>;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : value;
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
