import type { Knex } from 'knex';
import type { Db } from '../../platform/db.ts';

/**
 * A recipient's own choices, made through the links in their messages: the consent history
 * (append-only, one row per change) and the address-level suppression list the send activity
 * checks. Only an unsubscribe suppression is ever lifted by the customer; a STOP reply, a hard
 * bounce, a spam complaint or a block by the store stay.
 */

export const channels = ['email', 'sms'] as const;
export type Channel = (typeof channels)[number];
export type ConsentStatus = 'opted_in' | 'opted_out';
export type SuppressionReason = 'hard_bounce' | 'complaint' | 'unsubscribe' | 'sms_stop' | 'manual';
export type ConsentSource = 'unsubscribe_link' | 'preference_page';

export interface ChannelState {
  hasAddress: boolean;
  /** The latest recorded consent; null when none was ever recorded. */
  consent: ConsentStatus | null;
  /** The active suppression of the channel's address, if any. */
  suppression: SuppressionReason | null;
}

export interface ConsentEvidence {
  campaignId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** An RFC 8058 one-click POST from a mailbox provider rather than the page's form. */
  oneClick?: boolean;
}

interface Contact {
  id: string;
  /** Lower-cased, as suppressions store it. */
  email: string | null;
  phone: string | null;
}

type Conn = Db | Knex.Transaction;

const addressOf = (c: Contact, channel: Channel) => (channel === 'email' ? c.email : c.phone);

function contact(db: Conn, customerId: string): Knex.QueryBuilder {
  return db('customers').where({ id: customerId }).first('id', db.raw('lower(email) as email'), 'phone');
}

async function latestConsent(db: Conn, customerId: string, channel: Channel): Promise<ConsentStatus | null> {
  const row = await db('consents')
    .where({ customer_id: customerId, channel })
    .orderBy('recorded_at', 'desc')
    .first('status');
  return (row?.status as ConsentStatus | undefined) ?? null;
}

async function statesOf(db: Conn, c: Contact): Promise<Record<Channel, ChannelState>> {
  const state = async (channel: Channel): Promise<ChannelState> => {
    const address = addressOf(c, channel);
    const suppression = address
      ? await db('suppressions').where({ channel, address }).whereNull('lifted_at').first('reason')
      : undefined;
    return {
      hasAddress: address !== null,
      consent: await latestConsent(db, c.id, channel),
      suppression: (suppression?.reason as SuppressionReason | undefined) ?? null,
    };
  };
  const [email, sms] = await Promise.all([state('email'), state('sms')]);
  return { email, sms };
}

/** The customer's consent and suppression per channel; undefined when there is no such customer. */
export async function channelStates(db: Db, customerId: string): Promise<Record<Channel, ChannelState> | undefined> {
  const c = (await contact(db, customerId)) as Contact | undefined;
  return c ? statesOf(db, c) : undefined;
}

/**
 * Records the customer's choices. Idempotent: a consent row only where the choice differs from
 * the latest, a suppression only where none is active. Opting out suppresses the address;
 * opting in lifts an unsubscribe suppression and nothing else, and is only recorded for a
 * channel the store has an address for (consent to texts belongs to a number). Returns the
 * channels whose consent changed and the state after, or undefined when there is no customer.
 */
export async function recordChoices(
  db: Db,
  customerId: string,
  choices: Partial<Record<Channel, ConsentStatus>>,
  source: ConsentSource,
  evidence: ConsentEvidence,
): Promise<{ changed: Channel[]; states: Record<Channel, ChannelState> } | undefined> {
  return db.transaction(async (trx) => {
    // The row lock serialises two clicks on the same link: both see the other's rows.
    const c = (await contact(trx, customerId).forUpdate()) as Contact | undefined;
    if (!c) return undefined;
    const changed: Channel[] = [];
    for (const channel of channels) {
      const status = choices[channel];
      if (!status) continue;
      const address = addressOf(c, channel);
      if (status === 'opted_in' && !address) continue;
      if ((await latestConsent(trx, c.id, channel)) !== status) {
        await trx('consents').insert({
          customer_id: c.id,
          channel,
          status,
          source,
          evidence: JSON.stringify(evidence),
        });
        changed.push(channel);
      }
      if (!address) continue;
      if (status === 'opted_out') {
        await trx('suppressions')
          .insert({ channel, address, reason: 'unsubscribe', customer_id: c.id, source })
          .onConflict(trx.raw('(channel, address) where lifted_at is null'))
          .ignore();
      } else {
        await trx('suppressions')
          .where({ channel, address, reason: 'unsubscribe' })
          .whereNull('lifted_at')
          .update({ lifted_at: trx.fn.now() });
      }
    }
    return { changed, states: await statesOf(trx, c) };
  });
}
