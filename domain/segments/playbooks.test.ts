import { describe, expect, it } from 'vitest';
import { defaultSegments, playbookSchema, segmentForCell } from './playbooks.ts';

describe('segment playbooks', () => {
  it('give every recency × frequency cell exactly one segment', () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) {
        const owners = defaultSegments.filter(
          (s) =>
            r >= s.rules.recency[0] &&
            r <= s.rules.recency[1] &&
            f >= s.rules.frequency[0] &&
            f <= s.rules.frequency[1],
        );
        expect(
          owners.map((s) => s.key),
          `R=${r} F=${f}`,
        ).toHaveLength(1);
        expect(segmentForCell(r, f).key).toBe(owners[0]!.key);
      }
    }
    expect(new Set(defaultSegments.map((s) => s.key)).size).toBe(10);
  });

  it.each(defaultSegments)('ship a valid playbook for $name', (segment) => {
    expect(playbookSchema.safeParse(segment.playbook).success).toBe(true);
  });

  it('put win-back discounts on the primary category for At Risk, and early access for Champions', () => {
    const atRisk = defaultSegments.find((s) => s.key === 'at_risk')!;
    expect(atRisk.playbook.offers.some((o) => o.kind === 'percent_off' && o.appliesTo === 'primary_category')).toBe(
      true,
    );
    const champions = defaultSegments.find((s) => s.key === 'champions')!;
    expect(champions.playbook.offers.some((o) => o.kind === 'early_access')).toBe(true);
  });

  it.each([
    ['an offer above the playbook limit', (p: any) => (p.offers[0].maxDiscountPct = 40), 'offers'],
    ['a min discount above the max', (p: any) => (p.offers[0].minDiscountPct = 30), 'minDiscountPct'],
    ['an unknown field', (p: any) => (p.limits.unlimited = true), 'limits'],
    ['no channel', (p: any) => (p.limits.channels = []), 'channels'],
  ])('reject %s', (_what, mutate, path) => {
    const playbook = structuredClone(defaultSegments.find((s) => s.key === 'at_risk')!.playbook);
    mutate(playbook);
    const result = playbookSchema.safeParse(playbook);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toContain(path);
  });
});
