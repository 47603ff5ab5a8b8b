import { randomUUID } from 'node:crypto';
import type { Db } from '../../../platform/db.ts';
import { invalidEmail, invalidPhone } from './addresses.ts';
import {
  defaultSimulation,
  longestEventDelayMs,
  simulateEvents,
  type SandboxEvent,
  type SandboxSimulation,
} from './sandbox-events.ts';
import type { EmailProvider, SendResult, SmsProvider } from './types.ts';

/**
 * The embedded default when no Mailgun or Twilio credentials are configured: every message
 * lands in the `outbox` table instead of an inbox, and `eventsBetween` makes up what the
 * provider's webhooks would have reported, for the caller to ingest the way it ingests them.
 */

export interface SandboxOptions {
  db: Db;
  from?: string;
  simulation?: Partial<SandboxSimulation>;
  /** When a message counts as sent; the outbox's `created_at`. */
  now?: () => Date;
}

export interface SandboxProviders {
  email: EmailProvider;
  sms: SmsProvider;
  simulation: SandboxSimulation;
  /** Simulated events of outbox messages that occur in (after, until], oldest first. */
  eventsBetween(after: Date, until: Date): Promise<SandboxEvent[]>;
}

interface OutboxRow {
  send_id: unknown;
  channel: 'email' | 'sms';
  provider_message_id: string;
  to_address: string;
  from_address: string | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  headers: string;
  created_at: Date;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSERT_CHUNK = 500;

export function createSandboxProviders(options: SandboxOptions): SandboxProviders {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const simulation = { ...defaultSimulation, ...options.simulation };
  const from = options.from ?? 'marketing@sandbox.localhost';

  // A test message from the template editor has no ledger row; the outbox keeps it anyway.
  const sendRef = (sendId: string) =>
    uuid.test(sendId) ? db.raw('(select id from sends where id = ?::uuid)', [sendId]) : null;

  async function record(rows: OutboxRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db('outbox').insert(rows.slice(i, i + INSERT_CHUNK));
  }

  const email: EmailProvider = {
    name: 'sandbox',
    async send(batch) {
      const sentAt = now();
      const rows: OutboxRow[] = [];
      const results: SendResult[] = batch.map((m) => {
        const invalid = invalidEmail(m.sendId, m.to);
        if (invalid) return invalid;
        const providerMessageId = `sandbox-${randomUUID()}`;
        rows.push({
          send_id: sendRef(m.sendId),
          channel: 'email',
          provider_message_id: providerMessageId,
          to_address: m.to,
          from_address: m.from ?? from,
          subject: m.subject,
          body_text: m.text,
          body_html: m.html,
          headers: JSON.stringify(m.headers),
          created_at: sentAt,
        });
        return { sendId: m.sendId, ok: true, providerMessageId };
      });
      await record(rows);
      return results;
    },
  };

  const sms: SmsProvider = {
    name: 'sandbox',
    async send(m) {
      const invalid = invalidPhone(m.sendId, m.to);
      if (invalid) return invalid;
      const providerMessageId = `sandbox-${randomUUID()}`;
      await record([
        {
          send_id: sendRef(m.sendId),
          channel: 'sms',
          provider_message_id: providerMessageId,
          to_address: m.to,
          from_address: null,
          subject: null,
          body_text: m.body,
          body_html: null,
          headers: '{}',
          created_at: now(),
        },
      ]);
      return { sendId: m.sendId, ok: true, providerMessageId };
    },
  };

  return {
    email,
    sms,
    simulation,
    async eventsBetween(after, until) {
      // A message's events trail it by at most the longest delay: older ones have nothing left.
      const sentSince = new Date(after.getTime() - longestEventDelayMs(simulation));
      const sent = await db('outbox')
        .where('created_at', '>', sentSince)
        .andWhere('created_at', '<=', until)
        .select<{ provider_message_id: string; send_id: string | null; channel: 'email' | 'sms'; created_at: Date }[]>(
          'provider_message_id',
          'send_id',
          'channel',
          'created_at',
        );
      return sent
        .flatMap((row) =>
          simulateEvents(
            {
              providerMessageId: row.provider_message_id,
              sendId: row.send_id,
              channel: row.channel,
              sentAt: row.created_at,
            },
            simulation,
          ),
        )
        .filter((e) => e.occurredAt > after && e.occurredAt <= until)
        .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.eventKey.localeCompare(b.eventKey));
    },
  };
}
