import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import type { EmailProvider, SendFailure } from './messaging/providers/types.ts';

/**
 * Admin alerts beyond the notification record: a Slack incoming webhook and/or an e-mail to the
 * configured addresses, when configured. Delivery is at least once: a notification is marked
 * delivered after both channels took it, and a retried activity delivers what is still pending.
 */
export interface AdminAlerts {
  /** Delivers the notifications with these dedupe keys that are not delivered yet. */
  deliver(dedupeKeys: string[]): Promise<void>;
}

export interface AdminAlertSettings {
  slackWebhookUrl?: string;
  emailTo: string[];
  /** A live e-mail provider; alerts are not marketing and never go to the sandbox outbox. */
  email?: EmailProvider;
  from?: string;
  db: Db;
  log: Logger;
  timeoutMs?: number;
}

interface NotificationRow {
  id: string;
  title: string;
  body: string | null;
  severity: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function createAdminAlerts(settings: AdminAlertSettings): AdminAlerts | undefined {
  const { slackWebhookUrl, emailTo, email, db, log } = settings;
  const mail = email && emailTo.length > 0 ? email : undefined;
  if (!slackWebhookUrl && !mail) return undefined;
  const timeout = settings.timeoutMs ?? 10_000;

  async function toSlack(n: NotificationRow): Promise<void> {
    const res = await fetch(slackWebhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `*${n.title}*${n.body ? `\n${n.body}` : ''}` }),
      signal: AbortSignal.timeout(timeout),
    });
    if (!res.ok) throw new Error(`Slack answered ${res.status}`);
  }

  async function byEmail(n: NotificationRow): Promise<void> {
    const results = await mail!.send(
      emailTo.map((to) => ({
        // Not a ledger row: webhooks for it find no send and are ignored.
        sendId: randomUUID(),
        to,
        ...(settings.from ? { from: settings.from } : {}),
        subject: `[${n.severity}] ${n.title}`,
        text: `${n.title}\n\n${n.body ?? ''}\n`,
        html: `<p><strong>${escapeHtml(n.title)}</strong></p><p>${escapeHtml(n.body ?? '')}</p>`,
        headers: {},
      })),
    );
    const failed = results.find((r): r is SendFailure => !r.ok);
    if (failed) throw new Error(`the alert e-mail failed: ${failed.message}`);
  }

  return {
    async deliver(dedupeKeys) {
      if (dedupeKeys.length === 0) return;
      const pending = (await db('notifications')
        .whereIn('dedupe_key', dedupeKeys)
        .whereNull('delivered_at')
        .select('id', 'title', 'body', 'severity')) as NotificationRow[];
      for (const n of pending) {
        try {
          if (slackWebhookUrl) await toSlack(n);
          if (mail) await byEmail(n);
          await db('notifications').where({ id: n.id }).update({ delivered_at: db.fn.now() });
        } catch (err) {
          // The record stays for the UI; the next retry of the activity tries the delivery again.
          log.error({ err, notification: n.id }, 'admin alert not delivered');
          throw err;
        }
      }
    },
  };
}
