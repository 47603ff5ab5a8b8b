import { describe, expect, it } from 'vitest';
import { chartPoints, daysBefore, funnelSteps, significant } from './analytics.ts';

describe('analytics arithmetic', () => {
  it('gives each funnel stage its share of the stage before', () => {
    const steps = funnelSteps({
      campaignId: 'c',
      planned: 100,
      sent: 80,
      delivered: 0,
      opened: 0,
      clicked: 0,
      failed: 3,
      converted: 0,
      revenue: '0',
    });
    expect(steps.map((s) => [s.stage, s.count, s.ofPrevious])).toEqual([
      ['planned', 100, null],
      ['sent', 80, 0.8],
      ['delivered', 0, 0],
      ['opened', 0, null],
      ['clicked', 0, null],
      ['converted', 0, null],
    ]);
  });

  it('turns API days into chart points on local calendar days', () => {
    const [p] = chartPoints([
      { day: '2026-11-03', sent: 1, delivered: 1, opened: 0, clicked: 0, failed: 0, converted: 1, revenue: '42.50' },
    ]);
    expect(p!.date.getDate()).toBe(3);
    expect(p!.revenue).toBe(42.5);
  });

  it('calls a lift significant only when its interval excludes zero', () => {
    expect(significant({ estimate: 0.02, low: 0.005, high: 0.04, standardError: 0.01 })).toBe(true);
    expect(significant({ estimate: 0.02, low: -0.01, high: 0.05, standardError: 0.015 })).toBe(false);
    expect(significant({ estimate: 0, low: null, high: null, standardError: null })).toBe(false);
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28');
  });
});
