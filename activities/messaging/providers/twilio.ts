import type twilio from 'twilio';
import { invalidPhone } from './addresses.ts';
import { isTimeout, observeHttp, retryAfterMs, type HttpResponseSeen } from './http-responses.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import type { SendFailure, SmsProvider } from './types.ts';

/**
 * SMS through Twilio's Messages API with the official SDK, from a Messaging Service or a
 * number, metered per sender, with delivery reports posted to our status webhook.
 */

export const TWILIO_STATUS_CALLBACK_PATH = '/api/webhooks/twilio/status';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** Preferred over `fromNumber`: Twilio picks the number and handles opt-outs per service. */
  messagingServiceSid?: string;
  fromNumber?: string;
  /** A proxy or a local stub instead of https://api.twilio.com. */
  baseUrl?: string;
  /** PUBLIC_URL: where Twilio posts delivery reports. */
  publicUrl: string;
  ratePerSecond: number;
  timeoutMs?: number;
  /** Shared between providers of one process when several use the same sender. */
  limiter?: RateLimiter;
}

type RequestOptions = Parameters<twilio.RequestClient['request']>[0];

/**
 * The SDK's client, loaded with the first SMS: the SDK holds ~34 MiB resident, which a process
 * that never sends an SMS (an API, an e-mail-only store's worker) should not carry.
 *
 * The SDK builds absolute URLs on *.twilio.com from each API domain's base URL; its
 * documented extension point is the HTTP client (`httpClient` option), so with a `baseUrl` ours
 * moves those URLs onto it and otherwise leaves the request to the SDK's own client.
 */
async function connect(settings: TwilioSettings, timeout: number): Promise<twilio.Twilio> {
  const { default: sdk } = await import('twilio');
  class BaseUrlRequestClient extends sdk.RequestClient {
    readonly #base: URL;

    constructor(baseUrl: string, options: ConstructorParameters<typeof sdk.RequestClient>[0]) {
      super(options);
      this.#base = new URL(baseUrl);
    }

    override request<TData>(opts: RequestOptions & { data?: TData }) {
      const uri = new URL(opts.uri);
      if (uri.hostname === 'twilio.com' || uri.hostname.endsWith('.twilio.com')) {
        const prefix = this.#base.pathname.replace(/\/+$/, '');
        return super.request<TData>({
          ...opts,
          uri: `${this.#base.origin}${prefix}${uri.pathname}${uri.search}`,
        });
      }
      return super.request<TData>(opts);
    }
  }
  return sdk(settings.accountSid, settings.authToken, {
    // Our retries are the campaign's (3 attempts, 5 minutes apart), not the SDK's.
    autoRetry: false,
    timeout,
    ...(settings.baseUrl ? { httpClient: new BaseUrlRequestClient(settings.baseUrl, { timeout }) } : {}),
  });
}

const invalidNumberCodes = new Set([
  21211, // invalid 'To' number
  21614, // not a mobile number
  21612, // not reachable from this sender
  21408, // region not enabled for the account
]);

/** Twilio's answer to a failed call. */
export function twilioFailure(error: unknown, response: HttpResponseSeen | undefined): Omit<SendFailure, 'sendId'> {
  const e = error as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  if (!response || typeof e.status !== 'number') {
    const code = isTimeout(error) ? 'timeout' : 'network';
    return { ok: false, retryable: true, code, message: `no response from Twilio: ${message}` };
  }
  const status = e.status;
  const twilioCode = typeof e.code === 'number' ? e.code : undefined;
  const base = { ok: false as const, message, providerCode: String(twilioCode ?? status) };
  if (twilioCode === 21610) return { ...base, retryable: false, code: 'unsubscribed' };
  if (twilioCode !== undefined && invalidNumberCodes.has(twilioCode)) {
    return { ...base, retryable: false, code: 'invalid_address' };
  }
  if (status === 429 || twilioCode === 20429) {
    return { ...base, retryable: true, code: 'rate_limited', retryAfterMs: retryAfterMs(response.headers) };
  }
  if (status >= 500)
    return { ...base, retryable: true, code: 'provider_error', retryAfterMs: retryAfterMs(response.headers) };
  // Wrong credentials (20003), or an account, service or number that is not ours (20404).
  if (status === 401 || status === 403 || status === 404) return { ...base, retryable: true, code: 'configuration' };
  return { ...base, retryable: false, code: 'rejected' };
}

export function createTwilioProvider(settings: TwilioSettings): SmsProvider {
  if (!settings.messagingServiceSid && !settings.fromNumber) {
    throw new Error('Twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER.');
  }
  const timeout = settings.timeoutMs ?? 30_000;
  let client: Promise<twilio.Twilio> | undefined;
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.fromNumber! };
  const senderKey = settings.messagingServiceSid ?? settings.fromNumber!;
  const limiter = settings.limiter ?? createRateLimiter({ ratePerSecond: settings.ratePerSecond });
  const statusCallback = `${settings.publicUrl.replace(/\/+$/, '')}${TWILIO_STATUS_CALLBACK_PATH}`;

  return {
    name: 'twilio',
    async send(message) {
      const invalid = invalidPhone(message.sendId, message.to);
      if (invalid) return invalid;
      await limiter.take(senderKey);
      // A failed load is not kept: the next message tries again.
      client ??= connect(settings, timeout).catch((err: unknown) => {
        client = undefined;
        throw err;
      });
      const sdk = await client;
      const outcome = await observeHttp(() =>
        sdk.messages.create({ ...sender, to: message.to, body: message.body, statusCallback }),
      );
      if (outcome.ok) return { sendId: message.sendId, ok: true, providerMessageId: outcome.value.sid };
      return { sendId: message.sendId, ...twilioFailure(outcome.error, outcome.response) };
    },
  };
}
