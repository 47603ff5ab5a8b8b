import { Random } from '../datagen/random.ts';

/** Faults every provider stub can play: the ones a real provider produces under load. */
export const randomFaults = ['rate_limited', 'server_error', 'timeout'] as const;
export type RandomFault = (typeof randomFaults)[number];

/**
 * A stub's fault plan: faults scripted by a test come first, in order; after them each request
 * draws the random faults at their rates, repeatably from the seed.
 */
export function faultPlan<F extends string>(options: {
  seed?: number;
  faultRates?: Partial<Record<RandomFault, number>>;
}): { next(): F | RandomFault | undefined; script(...faults: F[]): void } {
  const random = new Random(options.seed ?? 1);
  const scripted: F[] = [];
  return {
    next() {
      if (scripted.length > 0) return scripted.shift();
      for (const fault of randomFaults) {
        const rate = options.faultRates?.[fault] ?? 0;
        if (rate > 0 && random.chance(rate)) return fault;
      }
      return undefined;
    },
    script: (...faults) => void scripted.push(...faults),
  };
}
