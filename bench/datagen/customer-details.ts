import type { Faker } from '@faker-js/faker';
import type { ConsentRow } from './liquor-store.ts';
import { DAY, type LocalTime } from './local-time.ts';
import type { Random } from './random.ts';

/**
 * Who a generated customer is: name, contact details, date of birth and marketing consents.
 * The shares below are the demo store's, chosen to exercise the alcohol-marketing rules: some
 * customers are under 21, some have no known date of birth, some never opted in or opted out.
 */

export const shares = {
  withEmail: 0.9,
  withPhone: 0.7,
  emailOptedIn: 0.75,
  emailOptedOut: 0.04,
  smsOptedIn: 0.4,
  smsOptedOut: 0.03,
  unknownBirthDate: 0.03,
  under21: 0.015,
  /** Of adults with a known date of birth: ID scanned at the register at least once. */
  ageVerified: 0.8,
} as const;

// The demo store is in Iowa, like the reference data.
export const storeRegion = 'IA';
const areaCodes = ['515', '319', '563', '641', '712'];
// Reserved for documentation (RFC 2606): a demo database can never e-mail a real person.
const emailDomains = ['example.com', 'example.com', 'example.net', 'example.org'];

export interface CustomerDetails {
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  date_of_birth: string | null;
  age_verified: boolean;
  region: string;
  postal_code: string;
}

const asciiLetters = (s: string) =>
  s
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z]/g, '');

/**
 * Unique per customer by construction: the local part is letters followed by the customer's
 * number, so two customers can only share an address if they share a number.
 */
function emailAddress(random: Random, first: string, last: string, customerNumber: number): string {
  const f = asciiLetters(first) || 'customer';
  const l = asciiLetters(last) || 'shopper';
  const local = random.pick([`${f}.${l}`, `${f[0]}${l}`, `${f}${l[0]}`, `${f}_${l}`, `${l}.${f}`]);
  return `${local}${customerNumber}@${random.pick(emailDomains)}`;
}

/**
 * E.164 numbers in the 555 exchange, kept for directory services and fiction rather than
 * subscribers' phones, so a demo campaign cannot text a real person. Numbers are a permutation of the customer number (7919 is prime
 * and coprime to the 50,000 numbers available), so the first 50,000 customers never share one.
 */
function phoneNumber(customerNumber: number, seed: number): string {
  const size = areaCodes.length * 10_000;
  const index = (((customerNumber * 7919 + seed) % size) + size) % size;
  return `+1${areaCodes[Math.floor(index / 10_000)]}555${String(index % 10_000).padStart(4, '0')}`;
}

/** Most customers are 21–80, centred on their forties; a few are older. `today` counts days since 1970. */
function dateOfBirth(random: Random, today: number, under21: boolean): string {
  let age: number;
  if (under21) {
    age = random.uniform(18, 20.9);
  } else {
    do age = 45 + 15 * random.normal();
    while (age < 21.05 || age > 92);
  }
  return new Date((today - Math.round(age * 365.2425)) * DAY).toISOString().slice(0, 10);
}

export function drawCustomerDetails(
  random: Random,
  faker: Faker,
  customerNumber: number,
  seed: number,
  /** The store's local date at the end of the window, as days since 1970. */
  today: number,
): CustomerDetails {
  const sex = random.chance(0.5) ? 'female' : 'male';
  const first = faker.person.firstName(sex);
  const last = faker.person.lastName();
  const postal = faker.location.zipCode({ state: storeRegion });
  const email = random.chance(shares.withEmail) ? emailAddress(random, first, last, customerNumber) : null;
  const phone = random.chance(shares.withPhone) ? phoneNumber(customerNumber, seed) : null;

  const dob = random.next();
  const unknown = dob < shares.unknownBirthDate;
  const under21 = !unknown && dob < shares.unknownBirthDate + shares.under21;
  return {
    first_name: first,
    last_name: last,
    email,
    phone,
    date_of_birth: unknown ? null : dateOfBirth(random, today, under21),
    // A scanned ID would have shown the customer to be under 21.
    age_verified: !unknown && !under21 && random.chance(shares.ageVerified),
    region: storeRegion,
    postal_code: postal,
  };
}

type ConsentSource = 'pos' | 'web_form' | 'import';
const sources: ConsentSource[] = ['pos', 'pos', 'pos', 'web_form', 'web_form', 'import'];
const evidence: Record<ConsentSource, Record<string, string>> = {
  pos: { method: 'register_signup', terminal: 'register-1' },
  web_form: { method: 'web_form', form: 'loyalty-signup' },
  import: { method: 'import', file: 'legacy-loyalty-list.csv' },
};
const smsDisclosure = 'Recurring marketing texts. Msg & data rates may apply. Reply STOP to opt out, HELP for help.';

/**
 * Consents per channel, as a history: an opt-in at sign-up (at the register, on the web site,
 * or from the previous system's list), and for a few customers a later opt-out or a refusal at
 * sign-up. The target `shares` are of all customers, so they are divided by the share with an address.
 */
export function drawConsents(
  random: Random,
  customerId: string,
  details: CustomerDetails,
  firstPurchase: number,
  end: number,
  clock: LocalTime,
): ConsentRow[] {
  const rows: ConsentRow[] = [];
  const channels = [
    {
      channel: 'email',
      has: details.email !== null,
      optIn: shares.emailOptedIn,
      optOut: shares.emailOptedOut,
      with: shares.withEmail,
    },
    {
      channel: 'sms',
      has: details.phone !== null,
      optIn: shares.smsOptedIn,
      optOut: shares.smsOptedOut,
      with: shares.withPhone,
    },
  ] as const;
  for (const c of channels) {
    const u = random.next();
    if (!c.has) continue;
    const optedIn = u < c.optIn / c.with;
    const optedOut = !optedIn && u < (c.optIn + c.optOut) / c.with;
    if (!optedIn && !optedOut) continue;
    const source = random.pick(sources);
    const signedUp =
      source === 'web_form'
        ? Math.max(firstPurchase, Math.min(end - 60_000, firstPurchase + random.uniform(0, 60) * DAY))
        : firstPurchase;
    const record = (status: ConsentRow['status'], at: number, from: string, proof: Record<string, string>) =>
      rows.push({
        id: random.uuid(),
        customer_id: customerId,
        channel: c.channel,
        status,
        source: from,
        recorded_at: clock.format(Math.floor(at / 1000) * 1000),
        evidence: c.channel === 'sms' && status === 'opted_in' ? { ...proof, disclosure: smsDisclosure } : proof,
      });
    if (optedIn) {
      record('opted_in', signedUp, source, evidence[source]);
    } else if (random.chance(0.5)) {
      // Declined when asked at sign-up.
      record('opted_out', signedUp, source, evidence[source]);
    } else {
      record('opted_in', signedUp, source, evidence[source]);
      const later = signedUp + random.uniform(0.05, 1) * Math.max(0, end - 60_000 - signedUp);
      record('opted_out', later, 'customer_request', { method: 'asked_at_register' });
    }
  }
  return rows;
}
