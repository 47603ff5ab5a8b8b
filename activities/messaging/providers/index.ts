import type { Config } from '../../../platform/config.ts';
import type { Db } from '../../../platform/db.ts';
import { createMailgunProvider } from './mailgun.ts';
import { createSandboxProviders, type SandboxOptions, type SandboxProviders } from './sandbox.ts';
import { createTwilioProvider } from './twilio.ts';
import type { EmailProvider, SmsProvider } from './types.ts';

export type * from './types.ts';
export type { SandboxEvent, SandboxEventType, SandboxSimulation } from './sandbox-events.ts';
export type { SandboxProviders } from './sandbox.ts';

export type ProviderConfig = Pick<
  Config,
  | 'MAILGUN_API_KEY'
  | 'MAILGUN_DOMAIN'
  | 'MAILGUN_REGION'
  | 'MAILGUN_BASE_URL'
  | 'MAILGUN_BATCH_SIZE'
  | 'MAIL_FROM'
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'TWILIO_MESSAGING_SERVICE_SID'
  | 'TWILIO_FROM_NUMBER'
  | 'TWILIO_BASE_URL'
  | 'SMS_RATE_PER_SECOND'
  | 'STORE_NAME'
  | 'publicUrl'
>;

/** What the API and UI show: which provider each channel uses, and from where. */
export interface ProviderSummary {
  email: { provider: 'mailgun'; domain: string; from: string } | { provider: 'sandbox'; from: string };
  sms: { provider: 'twilio'; sender: string } | { provider: 'sandbox' };
}

export interface Providers {
  email: EmailProvider;
  sms: SmsProvider;
  summary: ProviderSummary;
  /** Present when either channel runs in the sandbox: its outbox and simulated events. */
  sandbox?: SandboxProviders;
}

export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

/** Settings that must come together: a half-configured provider is a mistake, never a quiet fall-back to the sandbox. */
function configured(name: string, settings: Record<string, string | undefined>): boolean {
  const missing = Object.entries(settings)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length === Object.keys(settings).length) return false;
  if (missing.length > 0)
    throw new ProviderConfigError(
      `${name} is partly configured: set ${missing.join(', ')} too, or none of its settings to use the sandbox.`,
    );
  return true;
}

function quoted(name: string): string {
  return `"${name.replace(/["\\]/g, '')}"`;
}

export function createProviders(
  config: ProviderConfig,
  deps: { db: Db } & Omit<SandboxOptions, 'db' | 'from'>,
): Providers {
  const mailgun = configured('Mailgun', {
    MAILGUN_API_KEY: config.MAILGUN_API_KEY,
    MAILGUN_DOMAIN: config.MAILGUN_DOMAIN,
  });
  const twilio = configured('Twilio', {
    TWILIO_ACCOUNT_SID: config.TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: config.TWILIO_AUTH_TOKEN,
    'TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER':
      config.TWILIO_MESSAGING_SERVICE_SID ?? config.TWILIO_FROM_NUMBER,
  });

  const from =
    config.MAIL_FROM ?? `${quoted(config.STORE_NAME)} <marketing@${config.MAILGUN_DOMAIN ?? 'sandbox.localhost'}>`;
  const sandbox = mailgun && twilio ? undefined : createSandboxProviders({ ...deps, from });

  const email = mailgun
    ? createMailgunProvider({
        apiKey: config.MAILGUN_API_KEY!,
        domain: config.MAILGUN_DOMAIN!,
        region: config.MAILGUN_REGION,
        baseUrl: config.MAILGUN_BASE_URL,
        from,
        batchLimit: config.MAILGUN_BATCH_SIZE,
      })
    : sandbox!.email;
  const sms = twilio
    ? createTwilioProvider({
        accountSid: config.TWILIO_ACCOUNT_SID!,
        authToken: config.TWILIO_AUTH_TOKEN!,
        messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
        fromNumber: config.TWILIO_FROM_NUMBER,
        baseUrl: config.TWILIO_BASE_URL,
        publicUrl: config.publicUrl,
        ratePerSecond: config.SMS_RATE_PER_SECOND,
      })
    : sandbox!.sms;

  return {
    email,
    sms,
    sandbox,
    summary: {
      email: mailgun ? { provider: 'mailgun', domain: config.MAILGUN_DOMAIN!, from } : { provider: 'sandbox', from },
      sms: twilio
        ? { provider: 'twilio', sender: config.TWILIO_MESSAGING_SERVICE_SID ?? config.TWILIO_FROM_NUMBER! }
        : { provider: 'sandbox' },
    },
  };
}
