import { describe, expect, it } from 'vitest';
import { checkRow, customerRowSchema, orderRowSchema, type SourceRow } from './rows.ts';

const customers = customerRowSchema({ defaultPhoneRegion: 'US', today: '2026-11-27' });
const orders = orderRowSchema({ storeTimeZone: 'America/Chicago' });

describe('customer rows', () => {
  it('normalises every column', () => {
    const row: SourceRow = {
      customer_id: ' C-1 ',
      email: 'Ana@Example.com',
      phone: '(312) 555-0142',
      first_name: ' Ana ',
      last_name: 'López',
      date_of_birth: '07/04/1990',
      age_verified: 'yes',
      country: 'us',
      region: 'IL',
      postal_code: '60601',
      time_zone: 'America/Chicago',
      email_consent: 'Y',
      sms_consent: 'opted_out',
    };
    expect(checkRow(customers, row)).toEqual({
      ok: true,
      row: {
        customerId: 'C-1',
        email: 'ana@example.com',
        phone: '+13125550142',
        firstName: 'Ana',
        lastName: 'López',
        dateOfBirth: '1990-07-04',
        ageVerified: true,
        country: 'US',
        region: 'IL',
        postalCode: '60601',
        timeZone: 'America/Chicago',
        emailConsent: 'opted_in',
        smsConsent: 'opted_out',
      },
    });
  });

  it.each<[string, SourceRow, Record<string, unknown>]>([
    [
      'blank cells are unknown, or the default where there is one',
      { customer_id: 'C-2', email: '', phone: ' ', date_of_birth: '', age_verified: '', country: '', sms_consent: '' },
      { email: null, phone: null, dateOfBirth: null, ageVerified: false, country: 'US', smsConsent: null },
    ],
    [
      'missing columns stay undefined so that an import leaves them alone',
      { customer_id: 'C-3' },
      { email: undefined, phone: undefined, ageVerified: undefined, country: undefined, emailConsent: undefined },
    ],
  ])('%s', (_name, source, expected) => {
    const result = checkRow(customers, source);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.row).toMatchObject(expected);
  });

  it('reports every bad column of a row, not only the first', () => {
    const result = checkRow(customers, {
      customer_id: '',
      email: 'ana@',
      phone: '12',
      date_of_birth: '2030-01-01',
      country: 'USA',
      time_zone: 'Central',
      email_consent: 'perhaps',
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'customer_id', reason: 'required' },
        { field: 'email', reason: 'not a valid e-mail address' },
        { field: 'phone', reason: 'not a valid phone number (numbers without a country code are read as US)' },
        { field: 'date_of_birth', reason: 'a date of birth in the future' },
        { field: 'country', reason: 'not a two-letter ISO country code such as US' },
        { field: 'time_zone', reason: 'not an IANA time zone such as America/Chicago' },
        {
          field: 'email_consent',
          reason: 'not a consent (use yes/no, true/false, y/n, 1/0, opted_in/opted_out, or leave it blank)',
        },
      ],
    });
  });

  it('reads phone numbers without a country code in the region it is given', () => {
    const uk = customerRowSchema({ defaultPhoneRegion: 'GB', today: '2026-11-27' });
    expect(checkRow(uk, { customer_id: 'C-4', phone: '020 7946 0958' })).toMatchObject({
      ok: true,
      row: { phone: '+442079460958' },
    });
  });
});

describe('order rows', () => {
  it.each<[string, SourceRow, Record<string, unknown>]>([
    [
      'a full row',
      {
        order_id: 'INV-1',
        customer_id: 'C-1',
        ordered_at: '2026-07-04 18:05',
        total: '$1,234.5',
        currency: 'usd',
        item_count: '3',
        category: '  Straight Bourbon Whiskies ',
        channel: 'in store',
      },
      {
        orderId: 'INV-1',
        customerId: 'C-1',
        orderedAt: '2026-07-04T23:05:00.000Z',
        total: '1234.50',
        currency: 'USD',
        itemCount: 3,
        category: 'Straight Bourbon Whiskies',
        channel: 'in store',
      },
    ],
    [
      'the required columns only',
      { order_id: 'INV-2', customer_id: 'C-1', ordered_at: '2026-01-31T18:05:00Z', total: '12' },
      {
        orderId: 'INV-2',
        customerId: 'C-1',
        orderedAt: '2026-01-31T18:05:00.000Z',
        total: '12.00',
        currency: 'USD',
        itemCount: 1,
        category: null,
        channel: null,
      },
    ],
  ])('%s', (_name, source, expected) => {
    expect(checkRow(orders, source)).toEqual({ ok: true, row: expected });
  });

  it.each<[string, SourceRow, { field: string; reason: string | RegExp }[]]>([
    [
      'missing values',
      { order_id: ' ', customer_id: '', ordered_at: '', total: '' },
      [
        { field: 'order_id', reason: 'required' },
        { field: 'customer_id', reason: 'required' },
        { field: 'ordered_at', reason: 'required' },
        { field: 'total', reason: 'required' },
      ],
    ],
    [
      'bad money, date and category',
      { order_id: 'A', customer_id: 'C', ordered_at: '31/01/2026', total: '-3', category: 'x'.repeat(101) },
      [
        { field: 'ordered_at', reason: /^not a real date \(dates with slashes are read as MM\/DD\/YYYY\)/ },
        { field: 'total', reason: 'negative amounts are not allowed' },
        { field: 'category', reason: 'longer than 100 characters' },
      ],
    ],
    [
      'a key missing from a JSON object',
      { customer_id: 'C', ordered_at: '2026-01-31', total: '1' },
      [{ field: 'order_id', reason: 'required' }],
    ],
  ])('%s', (_name, source, errors) => {
    const result = checkRow(orders, source);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(errors.length);
      errors.forEach((e, i) => {
        expect(result.errors[i]!.field).toBe(e.field);
        expect(result.errors[i]!.reason).toMatch(e.reason);
      });
    }
  });
});
