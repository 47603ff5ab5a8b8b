import { describe, expect, it } from 'vitest';
import { splitHoldout } from './holdout.ts';

const audience = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([segment, n]) =>
    Array.from({ length: n }, (_, i) => ({ customerId: `${segment}-${String(i).padStart(4, '0')}`, segment })),
  );

describe('holdout groups', () => {
  const people = audience({ champions: 500, at_risk: 300, hibernating: 47 });

  it('holds out the same customers for the same seed, and others for another seed', () => {
    const a = splitHoldout(people, 0.1, 'campaign-a');
    const again = splitHoldout([...people].reverse(), 0.1, 'campaign-a');
    const b = splitHoldout(people, 0.1, 'campaign-b');
    const ids = (xs: { customerId: string }[]) => xs.map((x) => x.customerId).sort();
    expect(ids(again.holdout)).toEqual(ids(a.holdout));
    expect(ids(b.holdout)).not.toEqual(ids(a.holdout));
  });

  it('takes the share from every segment, so both groups have the same segment mix', () => {
    const { treated, holdout } = splitHoldout(people, 0.1, 'campaign-a');
    const count = (xs: { segment: string }[], s: string) => xs.filter((x) => x.segment === s).length;
    expect(count(holdout, 'champions')).toBe(50);
    expect(count(holdout, 'at_risk')).toBe(30);
    expect(count(holdout, 'hibernating')).toBe(5); // round(4.7)
    expect(treated.length + holdout.length).toBe(people.length);
    expect(new Set([...treated, ...holdout].map((c) => c.customerId)).size).toBe(people.length);
  });

  it('keeps the audience order in the treated group, and holds out nobody at share 0', () => {
    const { treated } = splitHoldout(people, 0.2, 'campaign-a');
    const positions = treated.map((c) => people.indexOf(c));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(splitHoldout(people, 0, 'campaign-a').holdout).toEqual([]);
    expect(() => splitHoldout(people, 1, 'x')).toThrow(RangeError);
  });

  it('draws without a bias towards the front of the ranking', () => {
    // Over many seeds the held-out champions' mean rank sits near the middle of 0…499.
    let total = 0;
    let n = 0;
    for (let s = 0; s < 40; s++) {
      for (const c of splitHoldout(people, 0.1, `seed-${s}`).holdout) {
        if (c.segment !== 'champions') continue;
        total += Number(c.customerId.split('-')[1]);
        n++;
      }
    }
    expect(total / n).toBeGreaterThan(220);
    expect(total / n).toBeLessThan(280);
  });
});
