import { Readable } from 'node:stream';
import type { ImportOptions } from './types.ts';

/** Helpers for the import tests. */

export const csvOptions: ImportOptions = {
  source: 'csv',
  filename: 'test.csv',
  defaultPhoneRegion: 'US',
  storeTimeZone: 'America/Chicago',
};

export const jsonOptions: ImportOptions = { ...csvOptions, source: 'json', filename: undefined };

/** CSV bytes as a stream, cut into `chunkSize`-byte reads to exercise reads that split lines and characters. */
export function csv(content: string | Buffer, chunkSize = 64 * 1024): Readable {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** Lines joined into a file with a final newline, as spreadsheets write them. */
export const lines = (...rows: string[]) => rows.join('\n') + '\n';
