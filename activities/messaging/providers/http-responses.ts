import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The HTTP responses behind one SDK call. Both SDKs drop the response headers when they turn
 * a failed response into an error (mailgun.js's APIError, Twilio's RestException), and
 * mailgun.js even reports a refused connection as a "400". Node publishes every client
 * response on a diagnostics channel, in the async context of the request that asked for it,
 * so an AsyncLocalStorage tells whose response it was even with many calls in flight.
 */

export interface HttpResponseSeen {
  status: number;
  headers: IncomingHttpHeaders;
}

const current = new AsyncLocalStorage<HttpResponseSeen[]>();
let subscribed = false;

function onResponse(message: unknown): void {
  const seen = current.getStore();
  const response = (message as { response?: IncomingMessage }).response;
  if (seen && response) seen.push({ status: response.statusCode ?? 0, headers: response.headers });
}

export type Observed<T> = ({ ok: true; value: T } | { ok: false; error: unknown }) & {
  /** The last response received, or undefined when none came (refused, reset, timed out). */
  response?: HttpResponseSeen;
};

export async function observeHttp<T>(call: () => Promise<T>): Promise<Observed<T>> {
  if (!subscribed) {
    diagnostics.subscribe('http.client.response.finish', onResponse);
    subscribed = true;
  }
  const seen: HttpResponseSeen[] = [];
  return current.run(seen, async () => {
    try {
      const value = await call();
      return { ok: true as const, value, response: seen.at(-1) };
    } catch (error) {
      return { ok: false as const, error, response: seen.at(-1) };
    }
  });
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from `now`. */
export function retryAfterMs(headers: IncomingHttpHeaders | undefined, now = Date.now()): number | undefined {
  const value = headers?.['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error without a response was a timeout rather than a refused or broken connection. */
export function isTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; statusText?: unknown } | null;
  const text = [e?.code, e?.message, e?.statusText].filter((v) => typeof v === 'string').join(' ');
  return /ECONNABORTED|ETIMEDOUT|ESOCKETTIMEDOUT|timeout/i.test(text);
}
