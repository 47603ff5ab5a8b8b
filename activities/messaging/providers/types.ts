import type { MailMergeTemplate, MailMergeValues } from '../../../domain/messaging/index.ts';

/**
 * One interface per channel, with the real SDK implementation (Mailgun, Twilio) and the
 * sandbox behind it. Providers never throw for a message: every message gets a result, and a
 * failed one says whether sending it again later can succeed.
 */

export interface EmailMessage {
  /** The send ledger row; comes back in webhooks as Mailgun's `v:send_id`. */
  sendId: string;
  campaignId?: string | null;
  to: string;
  /** Defaults to the provider's sender (MAIL_FROM). */
  from?: string;
  subject: string;
  html: string;
  text: string;
  /** List-Unsubscribe and List-Unsubscribe-Post, from the renderer. */
  headers: Record<string, string>;
  /**
   * The same message as a shared body plus this recipient's values, when it came from a
   * template shared with others: lets Mailgun take up to 1,000 of them in one call.
   */
  mailMerge?: { template: MailMergeTemplate; values: MailMergeValues };
}

export interface SmsMessage {
  sendId: string;
  campaignId?: string | null;
  /** E.164. */
  to: string;
  body: string;
}

export type FailureCode =
  /** The address or number is not one (or not a mobile): never retry. */
  | 'invalid_address'
  /** The recipient texted STOP to the sender (Twilio 21610): suppress, never retry. */
  | 'unsubscribed'
  /** The provider refused the message for another reason it gave. */
  | 'rejected'
  /** 429: retry after `retryAfterMs` when given. */
  | 'rate_limited'
  /** 5xx from the provider. */
  | 'provider_error'
  | 'network'
  | 'timeout'
  /**
   * Wrong credentials, domain or sender: no message can go until an operator fixes the
   * settings, so it counts as retryable and the campaign's retries and admin alert apply.
   */
  | 'configuration';

export type SendFailure = {
  sendId: string;
  ok: false;
  retryable: boolean;
  code: FailureCode;
  message: string;
  retryAfterMs?: number;
  /** The provider's own error code or HTTP status, for the ledger's last_error. */
  providerCode?: string;
};

export type SendResult = { sendId: string; ok: true; providerMessageId: string } | SendFailure;

export interface EmailProvider {
  readonly name: 'mailgun' | 'sandbox';
  /**
   * Messages one call can carry when they share a mail-merge body (Mailgun: up to 1,000);
   * absent, every message is a call of its own.
   */
  readonly batchLimit?: number;
  /** One result per message, in the order given. */
  send(batch: readonly EmailMessage[]): Promise<SendResult[]>;
  /**
   * Whether the provider accepted a message: its id if so, null if not. Asked after a worker
   * died during a send, so that the message is neither lost nor sent twice.
   */
  lookup?(message: { sendId: string; to: string; since: Date }): Promise<string | null>;
}

export interface SmsProvider {
  readonly name: 'twilio' | 'sandbox';
  send(message: SmsMessage): Promise<SendResult>;
}
