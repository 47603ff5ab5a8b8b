import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A token bucket per sender: carriers and Twilio meter each sending number (a US long code
 * takes about 1 message a second) and queue or drop what exceeds it. Each caller reserves its
 * token at once, so waiters are served in the order they asked, however many there are.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

export interface RateLimiter {
  /** Resolves when `key` may send one message. */
  take(key: string): Promise<void>;
}

export function createRateLimiter(options: { ratePerSecond: number; burst?: number; clock?: Clock }): RateLimiter {
  const { ratePerSecond, clock = realClock } = options;
  if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const burst = options.burst ?? Math.max(1, Math.floor(ratePerSecond));
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    async take(key) {
      const now = clock.now();
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond) - 1;
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens < 0) await clock.sleep((-bucket.tokens / ratePerSecond) * 1000);
    },
  };
}
