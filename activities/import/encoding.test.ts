import { describe, expect, it } from 'vitest';
import { firstBadByte, utf8Lines, type ByteCheck } from './encoding.ts';

const bytes = (...b: number[]) => Buffer.from(b);

describe('firstBadByte', () => {
  it.each<[string, Buffer, number]>([
    ['ASCII', Buffer.from('id,name\n1,Ana\n'), -1],
    ['two-, three- and four-byte characters', Buffer.from('Zoë,€,😀'), -1],
    ['a Windows-1252 é', Buffer.from('Jos\xe9', 'latin1'), 3],
    ['a NUL byte', bytes(0x61, 0x00, 0x62), 1],
    ['a lone continuation byte', bytes(0x61, 0x80), 1],
    ['an overlong slash', bytes(0x61, 0xc0, 0xaf), 1],
    ['an overlong three-byte form', bytes(0xe0, 0x80, 0xaf), 0],
    ['a UTF-16 surrogate', bytes(0x61, 0x62, 0xed, 0xa0, 0x80), 2],
    ['a code point past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['a character cut short', bytes(0x61, 0xe2, 0x82), 1],
  ])('%s', (_name, chunk, expected) => {
    expect(firstBadByte(chunk)).toBe(expected);
  });
});

async function read(chunks: Buffer[]): Promise<{ text: string; check: ByteCheck }> {
  const check: ByteCheck = { bytesRead: 0 };
  const out: Buffer[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const chunk of utf8Lines(source(), check)) out.push(chunk);
  return { text: Buffer.concat(out).toString(), check };
}

describe('utf8Lines', () => {
  it('passes on a character split between reads whole', async () => {
    const euro = Buffer.from('a,€\n');
    const { text, check } = await read([euro.subarray(0, 3), euro.subarray(3)]);
    expect(text).toBe('a,€\n');
    expect(check).toEqual({ bytesRead: euro.length });
  });

  it('passes on the lines before a bad one and says which line it is', async () => {
    const { text, check } = await read([Buffer.from('id\nC-1\nC-2 '), Buffer.from('Jos\xe9\nC-3\n', 'latin1')]);
    expect(text).toBe('id\nC-1\n');
    expect(check.failure?.line).toBe(3);
    expect(check.failure?.message).toMatch(/^Line 3 is not valid UTF-8 \(byte 0xE9\)/);
  });

  it('fails a file that ends in the middle of a character', async () => {
    const { text, check } = await read([Buffer.from('id\nC-1\n'), bytes(0x43, 0xe2, 0x82)]);
    expect(text).toBe('id\nC-1\n');
    expect(check.failure?.message).toMatch(/^Line 3 is not valid UTF-8 \(byte 0xE2\)/);
  });

  it('reads a file shorter than a byte order mark', async () => {
    const { text, check } = await read([Buffer.from('i'), Buffer.from('d')]);
    expect(text).toBe('id');
    expect(check.failure).toBeUndefined();
  });
});
