import type { Knex } from 'knex';
import type { ContactEffect } from '../../domain/webhooks/contact-effects.ts';

/**
 * The suppression list and consent history, as engagement events change them. Runs inside the
 * batch's transaction, in the order the events happened, so a STOP and a START from the same
 * number in one batch end the way the customer left them.
 */

export interface ContactChange {
  effect: ContactEffect;
  /** The address the event was about; without one, the customer's current address on the channel. */
  address: string | null;
  /** The customers it concerns: the send's, or those with this address. */
  customerIds: string[];
  /** `suppressions.source`: which provider said so. */
  source: string;
  evidence: Record<string, unknown>;
}

async function addressOf(trx: Knex.Transaction, change: ContactChange): Promise<string | null> {
  if (change.address) return change.address;
  const customerId = change.customerIds[0];
  if (!customerId) return null;
  const row = await trx('customers')
    .where({ id: customerId })
    .first(trx.raw(change.effect.channel === 'email' ? 'lower(email) as address' : 'phone as address'));
  return (row?.address as string | null | undefined) ?? null;
}

export async function applyContactChanges(trx: Knex.Transaction, changes: readonly ContactChange[]): Promise<void> {
  for (const change of changes) {
    const { channel, suppress, lift, consent } = change.effect;
    const address = await addressOf(trx, change);
    if (address && suppress) {
      await trx('suppressions')
        .insert({
          channel,
          address,
          reason: suppress,
          customer_id: change.customerIds[0] ?? null,
          source: change.source,
        })
        .onConflict(trx.raw('(channel, address) where lifted_at is null'))
        .ignore();
    }
    if (address && lift.length > 0) {
      await trx('suppressions')
        .where({ channel, address })
        .whereIn('reason', lift)
        .whereNull('lifted_at')
        .update({ lifted_at: trx.fn.now() });
    }
    if (!consent) continue;
    for (const customerId of change.customerIds) {
      // Append-only history: a row only where the choice differs from the customer's latest.
      // clock_timestamp(), not the event's time: a late-processed opt-out must still be the latest.
      await trx.raw(
        `insert into consents (customer_id, channel, status, source, evidence, recorded_at)
         select ?, ?, ?, ?, ?, clock_timestamp()
         where (select status from consents where customer_id = ? and channel = ?
                order by recorded_at desc limit 1) is distinct from ?`,
        [
          customerId,
          channel,
          consent.status,
          consent.source,
          JSON.stringify(change.evidence),
          customerId,
          channel,
          consent.status,
        ],
      );
    }
  }
}

/** Customers by address on a channel: lower-cased e-mail or E.164 phone. */
export async function customersByAddress(
  trx: Knex,
  channel: 'email' | 'sms',
  addresses: readonly string[],
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (addresses.length === 0) return found;
  const column = channel === 'email' ? 'lower(email)' : 'phone';
  const { rows } = await trx.raw<{ rows: { id: string; address: string }[] }>(
    `select id, ${column} as address from customers where ${column} = any(?::text[]) order by created_at, id`,
    [addresses as unknown as Knex.RawBinding],
  );
  for (const row of rows) found.set(row.address, [...(found.get(row.address) ?? []), row.id]);
  return found;
}
