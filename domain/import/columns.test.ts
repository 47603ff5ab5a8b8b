import { describe, expect, it } from 'vitest';
import { normaliseHeader, resolveColumns, type ImportKind } from './columns.ts';

describe('normaliseHeader', () => {
  it.each([
    ['Customer ID', 'customerid'],
    ['customer_id', 'customerid'],
    ['CUSTOMER-ID', 'customerid'],
    ['  E-mail  ', 'email'],
    ['Email Opt In', 'emailoptin'],
  ])('%j → %j', (header, normalised) => {
    expect(normaliseHeader(header)).toBe(normalised);
  });
});

describe('resolveColumns', () => {
  it.each<[ImportKind, string, string]>([
    ['customers', 'Customer ID', 'customer_id'],
    ['customers', 'id', 'customer_id'],
    ['customers', 'E-Mail', 'email'],
    ['customers', 'Mobile', 'phone'],
    ['customers', 'DOB', 'date_of_birth'],
    ['customers', 'birthdate', 'date_of_birth'],
    ['customers', 'Date_Of_Birth', 'date_of_birth'],
    ['customers', 'Email Opt In', 'email_consent'],
    ['customers', 'sms_consent', 'sms_consent'],
    ['customers', 'Zip', 'postal_code'],
    ['orders', 'Invoice', 'order_id'],
    ['orders', 'Order Date', 'ordered_at'],
    ['orders', 'timestamp', 'ordered_at'],
    ['orders', 'date', 'ordered_at'],
    ['orders', 'sale_dollars', 'total'],
    ['orders', 'Amount', 'total'],
    ['orders', 'category_name', 'category'],
  ])('%s: "%s" is %s', (kind, header, field) => {
    const required = kind === 'customers' ? ['customer_id'] : ['order_id', 'customer_id', 'ordered_at', 'total'];
    const headers = [...required.filter((r) => r !== field), header];
    const result = resolveColumns(kind, headers);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) {
      expect(result.columns.indexes[field]).toBe(headers.length - 1);
      expect(result.columns.headers[field]).toBe(header);
    }
  });

  it('lists the columns it does not use', () => {
    const result = resolveColumns('customers', ['id', 'Email', 'Loyalty Tier', '', 'notes']);
    expect(result).toEqual({
      ok: true,
      columns: {
        indexes: { customer_id: 0, email: 1 },
        headers: { customer_id: 'id', email: 'Email' },
        ignored: ['Loyalty Tier', 'notes'],
      },
    });
  });

  it('does not read a bare "id" in an orders file as the customer', () => {
    const result = resolveColumns('orders', ['id', 'order_id', 'date', 'total']);
    expect(result.ok).toBe(false);
  });

  it('says which required columns are missing and what it found instead', () => {
    const result = resolveColumns('orders', ['Invoice', 'Client', 'Date']);
    expect(result).toEqual({
      ok: false,
      message:
        'Missing required columns: customer_id (or "customer number", "customer no", "client id"); ' +
        'total (or "amount", "sale dollars", "order total", "total amount"). Found: "Invoice", "Client", "Date".',
    });
  });

  it('refuses two columns that mean the same field', () => {
    const result = resolveColumns('customers', ['customer_id', 'phone', 'Mobile']);
    expect(result).toEqual({
      ok: false,
      message:
        'Ambiguous columns: "phone" and "Mobile" both mean phone. Keep one of each. ' +
        'Found: "customer_id", "phone", "Mobile".',
    });
  });

  it('explains an empty header', () => {
    const result = resolveColumns('customers', ['', ' ']);
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/Found: no column names\.$/) });
  });
});
