import { describe, expect, it } from 'vitest';
import { createRateLimiter, type Clock } from './rate-limiter.ts';

/** A clock that only moves when someone sleeps, so waits are exact. */
function fakeClock(): Clock & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    async sleep(ms) {
      waits.push(ms);
      now += ms;
    },
  };
}

describe('createRateLimiter', () => {
  it('lets a burst through, then one message per 1/rate seconds', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 2, clock });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await limiter.take('MG1');
      times.push(clock.now());
    }
    expect(times).toEqual([0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, up to the burst', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 3, clock });
    for (let i = 0; i < 3; i++) await limiter.take('MG1');
    await clock.sleep(10_000); // idle for ten seconds: the bucket holds three again, not ten
    clock.waits.length = 0;
    for (let i = 0; i < 4; i++) await limiter.take('MG1');
    expect(clock.waits).toEqual([1_000]);
  });

  it('keeps one bucket per sender', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 1, clock });
    await limiter.take('+13125550100');
    await limiter.take('+13125550101');
    expect(clock.waits).toEqual([]);
    await limiter.take('+13125550100');
    expect(clock.waits).toEqual([1_000]);
  });

  it('serves concurrent callers in the order they asked, each a slot later', async () => {
    const waits: number[] = [];
    // Time stands still while they all ask at once.
    const limiter = createRateLimiter({
      ratePerSecond: 4,
      burst: 1,
      clock: { now: () => 0, sleep: async (ms) => void waits.push(ms) },
    });
    await Promise.all(Array.from({ length: 5 }, () => limiter.take('MG1')));
    expect(waits).toEqual([250, 500, 750, 1_000]);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
  });

  it('waits for real with the real clock', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 50, burst: 1 });
    const started = performance.now();
    for (let i = 0; i < 4; i++) await limiter.take('MG1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});
