import { stringify } from 'csv-stringify/sync';

/**
 * CSV lines safe to open in a spreadsheet. Quoting (RFC 4180) is csv-stringify's; defusing
 * formulas is ours: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would
 * be run as a formula by Excel, LibreOffice or Google Sheets (OWASP "CSV Injection"), so it is
 * prefixed with a single quote, which spreadsheets show as text. Numbers are written as they are
 * (a negative number is data, not a formula).
 */

export type CsvValue = string | number | boolean | Date | null | undefined | Record<string, unknown>;

const FORMULA_START = /^[=+\-@\t\r]/;

function cellText(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : value;
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function csvCell(value: CsvValue): string {
  return csvLine([value]).slice(0, -2);
}

export function csvLine(values: readonly CsvValue[]): string {
  // A lone CR or LF breaks a line in spreadsheets too, not only the CRLF record delimiter.
  return stringify([values.map(cellText)], { record_delimiter: 'windows', quoted_match: /[\r\n]/ });
}
