import { z } from 'zod';
import { readBirthDate, readOrderTime } from './dates.ts';
import { zoneClock } from './local-time.ts';
import {
  readBoolean,
  readConsent,
  readCount,
  readCountry,
  readCurrency,
  readEmail,
  readMoney,
  readPhone,
  readText,
  readTimeZone,
  type ConsentStatus,
  type Parsed,
} from './values.ts';

/**
 * Row schemas: a source row (canonical field name → cell text) in, a normalised row or the
 * reason for each bad column out. A field is `undefined` in the row when the source has no such
 * column, so that an import never overwrites what its file does not mention; a blank cell in a
 * column that is there means "unknown" (null), except where a field has a default.
 */
export type SourceRow = Record<string, string | undefined>;

export interface ColumnError {
  field: string;
  reason: string;
}

export type RowCheck<R> = { ok: true; row: R } | { ok: false; errors: ColumnError[] };

export interface CustomerRow {
  customerId: string;
  email?: string | null;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  dateOfBirth?: string | null;
  ageVerified?: boolean;
  country?: string;
  region?: string | null;
  postalCode?: string | null;
  timeZone?: string | null;
  /** null: the file says nothing about consent for this customer, which changes nothing. */
  emailConsent?: ConsentStatus | null;
  smsConsent?: ConsentStatus | null;
}

export interface OrderRow {
  orderId: string;
  customerId: string;
  /** ISO-8601 in UTC. */
  orderedAt: string;
  /** Two decimals, as a string. */
  total: string;
  currency: string;
  itemCount: number;
  category: string | null;
  channel: string | null;
}

/** An optional cell read by `read`; a blank cell means `blank`, a missing column `undefined`. */
function cell<T, B>(read: (cell: string) => Parsed<T>, blank: B) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | B | undefined => {
      const text = raw?.trim() ?? '';
      if (text === '') return raw === undefined ? undefined : blank;
      return readOrReport(read, text, ctx);
    });
}

function requiredCell<T>(read: (cell: string) => Parsed<T>) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const text = raw?.trim() ?? '';
      if (text !== '') return readOrReport(read, text, ctx);
      ctx.addIssue({ code: 'custom', message: 'required' });
      return z.NEVER;
    });
}

function readOrReport<T>(read: (cell: string) => Parsed<T>, text: string, ctx: z.RefinementCtx): T {
  const parsed = read(text);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
}

const id = readText(100);
const name = readText(100);

export interface CustomerRowOptions {
  /** Region for phone numbers written without a country code (ISO 3166-1 alpha-2). */
  defaultPhoneRegion: string;
  /** YYYY-MM-DD; no one is born after it. */
  today: string;
}

export function customerRowSchema(options: CustomerRowOptions) {
  return z
    .object({
      customer_id: requiredCell(id),
      email: cell(readEmail, null),
      phone: cell(readPhone(options.defaultPhoneRegion), null),
      first_name: cell(name, null),
      last_name: cell(name, null),
      date_of_birth: cell(readBirthDate(options.today), null),
      // Unknown means not verified: the compliance rules then need a date of birth.
      age_verified: cell(readBoolean, false),
      country: cell(readCountry, 'US'),
      region: cell(name, null),
      postal_code: cell(readText(20), null),
      time_zone: cell(readTimeZone, null),
      email_consent: cell(readConsent, null),
      sms_consent: cell(readConsent, null),
    })
    .transform((r): CustomerRow => ({
      customerId: r.customer_id,
      email: r.email,
      phone: r.phone,
      firstName: r.first_name,
      lastName: r.last_name,
      dateOfBirth: r.date_of_birth,
      ageVerified: r.age_verified,
      country: r.country,
      region: r.region,
      postalCode: r.postal_code,
      timeZone: r.time_zone,
      emailConsent: r.email_consent,
      smsConsent: r.sms_consent,
    }));
}

export interface OrderRowOptions {
  /** IANA zone the store's till runs in: order times without a UTC offset are read in it. */
  storeTimeZone: string;
}

export function orderRowSchema(options: OrderRowOptions) {
  return z
    .object({
      order_id: requiredCell(id),
      customer_id: requiredCell(id),
      ordered_at: requiredCell(readOrderTime(zoneClock(options.storeTimeZone))),
      total: requiredCell(readMoney),
      currency: cell(readCurrency, 'USD'),
      item_count: cell(readCount, 1),
      category: cell(name, null),
      channel: cell(readText(50), null),
    })
    .transform((r): OrderRow => ({
      orderId: r.order_id,
      customerId: r.customer_id,
      orderedAt: r.ordered_at,
      total: r.total,
      currency: r.currency ?? 'USD',
      itemCount: r.item_count ?? 1,
      category: r.category ?? null,
      channel: r.channel ?? null,
    }));
}

export type RowSchema<R> = z.ZodType<R, SourceRow>;

export function checkRow<R>(schema: RowSchema<R>, source: SourceRow): RowCheck<R> {
  const result = schema.safeParse(source);
  if (result.success) return { ok: true, row: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({ field: String(issue.path[0] ?? ''), reason: issue.message })),
  };
}
