import type { Readable } from 'node:stream';
import type { ImportKind } from '../../domain/import/columns.ts';

export type { ImportKind };
export type ImportSourceKind = 'csv' | 'json';
export type ImportStatus = 'running' | 'completed' | 'failed';

/** CSV bytes, or the rows of a JSON request body. */
export type ImportSource = Readable | readonly unknown[];

export interface ImportOptions {
  source: ImportSourceKind;
  filename?: string;
  /** For phone numbers written without a country code (ISO 3166-1 alpha-2). */
  defaultPhoneRegion: string;
  /** IANA zone in which order times without a UTC offset were recorded. */
  storeTimeZone: string;
  createdBy?: string;
  apiKeyId?: string;
  /** Rows per transaction; 5,000 by default. */
  batchSize?: number;
  /** How many rejections the returned report lists; 100 by default. All are stored. */
  rejectionsLimit?: number;
  /** Called after each batch is committed. */
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  rowsTotal: number;
  rowsAccepted: number;
  rowsRejected: number;
  /** Of the CSV file read so far; 0 for JSON. */
  bytesRead: number;
  elapsedMs: number;
}

export interface Rejection {
  /** Line where the row starts in the CSV file; 1-based position in the array for JSON. */
  line: number;
  /** The column as the source names it; null when the row as a whole was turned away. */
  column: string | null;
  /** The offending value, cut to 200 characters. */
  value: string | null;
  reason: string;
}

/**
 * What an import did. Decision: **a file with errors commits its good rows.** Each batch of rows
 * is written in one transaction together with its rejections and the updated counts; a bad row
 * is rejected with its line, column and reason and never stops the rows around it, and a row the
 * database refuses (an order for an unknown customer) is rejected alone, not with its batch.
 *
 * An import `failed` when it could not go on: a missing required column or an unreadable file
 * (nothing is written), or a file that breaks part-way (invalid UTF-8, a quote never closed):
 * then the rows before the broken line are imported and `error` says where it broke. Imports are
 * idempotent, so importing the corrected file again is safe.
 */
export interface ImportReport {
  id: string;
  kind: ImportKind;
  source: ImportSourceKind;
  filename: string | null;
  status: ImportStatus;
  error: string | null;
  /** Data rows read (header and blank lines not counted); accepted + rejected. */
  rowsTotal: number;
  rowsAccepted: number;
  rowsRejected: number;
  /** Accepted rows that created a customer or an order. */
  rowsInserted: number;
  /** Accepted customer rows that changed a customer. */
  rowsUpdated: number;
  /** Accepted customer rows that matched the customer as stored: nothing was written. */
  rowsUnchanged: number;
  /**
   * Orders whose order id was already imported (earlier in the file or before), and customer rows
   * overtaken by a later row for the same customer in the same batch.
   */
  rowsDuplicate: number;
  columns: ImportColumns;
  /** The first rejections in file order (a row can have several, one per bad column). */
  rejections: Rejection[];
  rejectionsTotal: number;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface ImportColumns {
  /** Field → the source column read for it. */
  mapped: Record<string, string>;
  ignored: string[];
}
