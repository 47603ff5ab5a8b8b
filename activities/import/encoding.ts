import { isUtf8 } from 'node:buffer';

/**
 * Import files must be UTF-8. csv-parse decodes whatever it is given and turns bytes that are not
 * UTF-8 into U+FFFD, so a Windows-1252 export would import "Jos�" without a word; the bytes are
 * checked before they reach it.
 */

export class ImportFileError extends Error {
  override name = 'ImportFileError';
  /** The line of the file where reading stopped, when it stopped part-way. */
  line: number | undefined;
  constructor(message: string, line?: number) {
    super(message);
    this.line = line;
  }
}

const saveAsCsv = 'Save it as "CSV UTF-8" and import it again.';

const signatures: [bytes: number[], problem: string][] = [
  [[0xff, 0xfe], `The file is UTF-16 encoded. ${saveAsCsv}`],
  [[0xfe, 0xff], `The file is UTF-16 encoded. ${saveAsCsv}`],
  [[0x50, 0x4b, 0x03, 0x04], `The file is an Excel workbook (.xlsx) or a ZIP archive, not CSV. ${saveAsCsv}`],
  [[0xd0, 0xcf, 0x11, 0xe0], `The file is an Excel 97–2003 workbook (.xls), not CSV. ${saveAsCsv}`],
  [[0x1f, 0x8b], 'The file is gzip-compressed. Decompress it and import the CSV file inside.'],
];

const MAX_HELD_BYTES = 4 * 1024 * 1024;

export interface ByteCheck {
  bytesRead: number;
  /** Set when the bytes stopped being a readable UTF-8 text file; the stream then ends early. */
  failure?: ImportFileError;
}

/**
 * Passes the bytes of `source` on while they are UTF-8 text. At the first line that is not, it
 * passes on everything before that line, records why in `check.failure` and ends: the lines
 * before are good rows, and an error thrown into csv-parse would lose those it still buffers.
 */
export async function* utf8Lines(source: AsyncIterable<Buffer | string>, check: ByteCheck): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  let atStart = true;
  let newlines = 0;
  try {
    for await (const piece of source) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
      check.bytesRead += bytes.length;
      const chunk: Buffer = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
      if (atStart) {
        if (chunk.length < 4) {
          carry = chunk;
          continue;
        }
        atStart = false;
        const problem = signatureProblem(chunk);
        if (problem) {
          check.failure = new ImportFileError(problem, 1);
          return;
        }
      }
      // Only whole lines go on, so that a line found bad later has not been passed on in part;
      // the rest, and a character split between two reads, waits for the next read.
      const whole = completeLength(chunk);
      const bad = firstBadByte(chunk.subarray(0, whole));
      if (bad >= 0) {
        const lineStart = chunk.lastIndexOf(0x0a, bad) + 1;
        if (lineStart > 0) yield chunk.subarray(0, lineStart);
        check.failure = badByteError(chunk, bad, newlines + countNewlines(chunk, lineStart) + 1);
        return;
      }
      let cut = chunk.lastIndexOf(0x0a, whole - 1) + 1;
      // A line this long is no row (csv-parse refuses it); holding it back would only cost memory.
      if (whole - cut > MAX_HELD_BYTES) cut = whole;
      newlines += countNewlines(chunk, cut);
      carry = Buffer.from(chunk.subarray(cut));
      if (cut > 0) yield chunk.subarray(0, cut);
    }
    if (carry.length > 0) {
      // The last line, a file shorter than a signature, or one that ends in the middle of a character.
      const problem = atStart ? signatureProblem(carry) : undefined;
      const bad = problem ? 0 : firstBadByte(carry);
      if (problem) check.failure = new ImportFileError(problem, 1);
      else if (bad >= 0) {
        const lineStart = carry.lastIndexOf(0x0a, bad) + 1;
        if (lineStart > 0) yield carry.subarray(0, lineStart);
        check.failure = badByteError(carry, bad, newlines + countNewlines(carry, lineStart) + 1);
      } else yield carry;
    }
  } catch (err) {
    check.failure = new ImportFileError(`Could not read the file: ${(err as Error).message}`);
  }
}

function signatureProblem(head: Buffer): string | undefined {
  return signatures.find(([bytes]) => bytes.every((b, i) => head[i] === b))?.[1];
}

function badByteError(chunk: Buffer, at: number, line: number): ImportFileError {
  const byte = chunk[at]!;
  if (byte === 0) {
    return new ImportFileError(
      `Line ${line} contains a NUL byte: the file is binary, or UTF-16 without a byte order mark. ${saveAsCsv}`,
      line,
    );
  }
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  return new ImportFileError(
    `Line ${line} is not valid UTF-8 (byte 0x${hex}); the file is probably in another encoding such as ` +
      `Windows-1252. ${saveAsCsv}`,
    line,
  );
}

function countNewlines(chunk: Buffer, end: number): number {
  let n = 0;
  for (let i = chunk.indexOf(0x0a); i !== -1 && i < end; i = chunk.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** Length of `chunk` without a multi-byte character cut off at its end. */
function completeLength(chunk: Buffer): number {
  for (let i = chunk.length - 1; i >= Math.max(0, chunk.length - 3); i--) {
    const b = chunk[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    if (b < 0xc0) return chunk.length;
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return i + size > chunk.length ? i : chunk.length;
  }
  return chunk.length;
}

/** Offset of the first byte that is not UTF-8 text (or is NUL), or -1. */
export function firstBadByte(chunk: Buffer): number {
  const nul = chunk.indexOf(0);
  if (isUtf8(chunk)) return nul;
  const invalid = firstInvalidUtf8(chunk);
  return nul === -1 ? invalid : Math.min(nul, invalid);
}

// Only runs once a chunk is known to be bad, to find where.
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const size = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (size === 0 || i + size > b.length) return i;
    const c1 = b[i + 1]!;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    const low = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (c1 < low || c1 > high) return i;
    for (let k = 2; k < size; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += size;
  }
  return 0; // isUtf8 said no, so this is not reached; the start of the chunk is the safe answer
}
