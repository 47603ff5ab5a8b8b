import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './csv.ts';

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1 555 0100', "'+1 555 0100"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
  ])('defuses a formula at the start of a text cell: %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('quotes commas, quotes and line breaks, and leaves plain text and numbers alone', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('Winter win-back')).toBe('Winter win-back');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(new Date('2026-06-01T10:00:00Z'))).toBe('2026-06-01T10:00:00.000Z');
    expect(csvCell({ url: 'https://x.example/?a=1,2' })).toBe('"{""url"":""https://x.example/?a=1,2""}"');
  });

  it('ends every line with CRLF', () => {
    expect(csvLine(['id', 1, null, '=1'])).toBe("id,1,,'=1\r\n");
  });
});
