/**
 * How many SMS segments a text takes, which is what carriers bill. GSM-7 fits 160 characters
 * in one segment and 153 per segment once concatenated (the rest carries the joining header);
 * characters from the GSM extension table (€ ^ { } [ ] ~ \ | and form feed) take two. A single
 * character outside GSM-7 (an emoji, a curly quote) switches the whole text to UCS-2: 70, then
 * 67 UTF-16 units per segment. Neither an escape pair nor a surrogate pair is split across
 * segments, as handsets and Twilio do.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Units one segment holds at this length: 160/153 or 70/67. */
  perSegment: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

const LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const;

/** Packs indivisible units into segments of `size`, never splitting one. */
function pack(unitSizes: number[], size: number): number {
  let segments = 1;
  let used = 0;
  for (const unit of unitSizes) {
    if (used + unit > size) {
      segments++;
      used = 0;
    }
    used += unit;
  }
  return segments;
}

export function countSmsSegments(text: string): SmsSegmentCount {
  const chars = [...text]; // by code point, so a surrogate pair stays one element
  const gsm = chars.every((c) => basic.has(c) || extension.has(c));
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  const unitSizes = chars.map((c) => (gsm ? (extension.has(c) ? 2 : 1) : c.length));
  const units = unitSizes.reduce((sum, n) => sum + n, 0);
  const limit = LIMITS[encoding];
  if (units <= limit.single) return { encoding, units, segments: units === 0 ? 0 : 1, perSegment: limit.single };
  return { encoding, units, segments: pack(unitSizes, limit.multi), perSegment: limit.multi };
}
