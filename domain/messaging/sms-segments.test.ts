import { describe, expect, it } from 'vitest';
import { countSmsSegments, type SmsEncoding } from './sms-segments.ts';

const a = (n: number) => 'a'.repeat(n);

const cases: [name: string, text: string, encoding: SmsEncoding, units: number, segments: number][] = [
  ['nothing', '', 'GSM-7', 0, 0],
  ['plain ASCII', 'Hello', 'GSM-7', 5, 1],
  ['160 GSM characters fit one segment', a(160), 'GSM-7', 160, 1],
  ['161 GSM characters need two', a(161), 'GSM-7', 161, 2],
  ['306 GSM characters fill two segments of 153', a(306), 'GSM-7', 306, 2],
  ['307 GSM characters need three', a(307), 'GSM-7', 307, 3],
  ['accented letters in the GSM table (é, ñ, ü, à) are single', 'éñüà', 'GSM-7', 4, 1],
  ['line breaks are GSM', 'a\nb', 'GSM-7', 3, 1],
  ['€ is an extension character: two septets', '€', 'GSM-7', 2, 1],
  ['^ counts double', '^', 'GSM-7', 2, 1],
  ['{ counts double', '{', 'GSM-7', 2, 1],
  ['all extension characters', '\f^{}\\[~]|€', 'GSM-7', 20, 1],
  ['159 characters and a ^ overflow one segment', a(159) + '^', 'GSM-7', 161, 2],
  ['80 € fill exactly one segment', '€'.repeat(80), 'GSM-7', 160, 1],
  ['81 € take two (76 pairs fit in 153)', '€'.repeat(81), 'GSM-7', 162, 2],
  ['an escape pair is never split across segments', a(152) + '{' + a(152), 'GSM-7', 306, 3],
  ['an emoji switches to UCS-2 (a surrogate pair, two units)', 'Cheers 🍷', 'UCS-2', 9, 1],
  ['a curly apostrophe switches to UCS-2', 'It’s here', 'UCS-2', 9, 1],
  ['ç is not in the GSM table (Ç is)', 'ç', 'UCS-2', 1, 1],
  ['70 UCS-2 units fit one segment', 'ç'.repeat(70), 'UCS-2', 70, 1],
  ['71 UCS-2 units need two', 'ç'.repeat(71), 'UCS-2', 71, 2],
  ['35 emoji fill one segment', '🍷'.repeat(35), 'UCS-2', 70, 1],
  ['36 emoji take two (33 pairs fit in 67)', '🍷'.repeat(36), 'UCS-2', 72, 2],
  ['a surrogate pair is never split across segments', a(66) + '🍷' + a(66), 'UCS-2', 134, 3],
];

describe('countSmsSegments', () => {
  it.each(cases)('%s', (_name, text, encoding, units, segments) => {
    expect(countSmsSegments(text)).toMatchObject({ encoding, units, segments });
  });

  it('says how many units one segment holds at that length', () => {
    expect(countSmsSegments(a(10)).perSegment).toBe(160);
    expect(countSmsSegments(a(200)).perSegment).toBe(153);
    expect(countSmsSegments('🍷').perSegment).toBe(70);
    expect(countSmsSegments('🍷'.repeat(40)).perSegment).toBe(67);
  });
});
