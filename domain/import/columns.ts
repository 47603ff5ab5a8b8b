/**
 * Which column of a retailer's export means which field. Exports come from POS systems, Shopify,
 * spreadsheets…, so headers are matched by a normalised form and a list of aliases rather than
 * by exact name.
 */

export type ImportKind = 'customers' | 'orders';

export interface FieldSpec {
  /** The canonical name, used in reports: `customer_id`, `email`… */
  name: string;
  required: boolean;
  /** Other header spellings that mean this field; compared in normalised form (see `normaliseHeader`). */
  aliases: readonly string[];
}

const field = (name: string, aliases: string[], required = false): FieldSpec => ({ name, required, aliases });

export const customerFields: readonly FieldSpec[] = [
  field('customer_id', ['id', 'customer number', 'customer no', 'client id'], true),
  field('email', ['e-mail', 'email address', 'e-mail address']),
  field('phone', ['mobile', 'phone number', 'mobile phone', 'mobile number', 'cell', 'cell phone', 'telephone']),
  field('first_name', ['first', 'given name']),
  field('last_name', ['last', 'surname', 'family name']),
  field('date_of_birth', ['dob', 'birthdate', 'birth date', 'birthday']),
  field('age_verified', ['id verified']),
  field('country', ['country code']),
  field('region', ['state', 'province']),
  field('postal_code', ['zip', 'zip code', 'postcode']),
  field('time_zone', ['tz']),
  field('email_consent', ['email opt in', 'email optin', 'accepts email marketing']),
  field('sms_consent', ['sms opt in', 'sms optin', 'accepts sms marketing']),
];

// No bare `id` here: in an orders export it would as likely be the order's id as the customer's.
export const orderFields: readonly FieldSpec[] = [
  field('order_id', ['invoice', 'order number', 'order no', 'invoice number', 'invoice id'], true),
  field('customer_id', ['customer number', 'customer no', 'client id'], true),
  field('ordered_at', ['order date', 'date', 'timestamp', 'order time', 'purchased at'], true),
  field('total', ['amount', 'sale dollars', 'order total', 'total amount'], true),
  field('category', ['category name']),
  field('currency', []),
  field('item_count', ['items', 'quantity', 'qty', 'bottles sold']),
  field('channel', ['sales channel']),
];

export function fieldsOf(kind: ImportKind): readonly FieldSpec[] {
  return kind === 'customers' ? customerFields : orderFields;
}

const byHeader = (fields: readonly FieldSpec[]) =>
  new Map(fields.flatMap((f) => [f.name, ...f.aliases].map((a) => [normaliseHeader(a), f] as const)));
const lookup: Record<ImportKind, Map<string, FieldSpec>> = {
  customers: byHeader(customerFields),
  orders: byHeader(orderFields),
};

/** `Customer ID`, `customer_id` and `customer-id` are the same header. */
export function normaliseHeader(header: string): string {
  return header.toLowerCase().replace(/[\s_-]+/g, '');
}

export interface ColumnMap {
  /** Canonical field name → index of its column in the source. */
  indexes: Record<string, number>;
  /** Canonical field name → the header as written in the source, for messages. */
  headers: Record<string, string>;
  /** Headers that mean nothing to this import; their values are not read. */
  ignored: string[];
}

export type ColumnResolution = { ok: true; columns: ColumnMap } | { ok: false; message: string };

export function resolveColumns(kind: ImportKind, headers: readonly string[]): ColumnResolution {
  const fields = fieldsOf(kind);
  const specs = lookup[kind];
  const indexes: Record<string, number> = {};
  const names: Record<string, string> = {};
  const ignored: string[] = [];
  const clashes: string[] = [];
  headers.forEach((raw, index) => {
    const header = raw.trim();
    const key = normaliseHeader(header);
    const spec = specs.get(key);
    if (!spec) {
      if (header !== '') ignored.push(header);
      return;
    }
    if (spec.name in indexes) {
      clashes.push(`"${names[spec.name]}" and "${header}" both mean ${spec.name}`);
      return;
    }
    indexes[spec.name] = index;
    names[spec.name] = header;
  });

  const missing = fields.filter((f) => f.required && !(f.name in indexes));
  const problems: string[] = [];
  if (missing.length > 0) {
    const wanted = missing.map(describeField).join('; ');
    problems.push(`Missing required column${missing.length > 1 ? 's' : ''}: ${wanted}.`);
  }
  if (clashes.length > 0) problems.push(`Ambiguous columns: ${clashes.join('; ')}. Keep one of each.`);
  if (problems.length > 0) {
    const found = headers.filter((h) => h.trim() !== '').map((h) => `"${h.trim()}"`);
    problems.push(`Found: ${found.length > 0 ? found.join(', ') : 'no column names'}.`);
    return { ok: false, message: problems.join(' ') };
  }
  return { ok: true, columns: { indexes, headers: names, ignored } };
}

function describeField(spec: FieldSpec): string {
  return spec.aliases.length > 0 ? `${spec.name} (or ${spec.aliases.map((a) => `"${a}"`).join(', ')})` : spec.name;
}
