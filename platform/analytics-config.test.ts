import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';

const HOUR = 3_600_000;

describe('analytics settings', () => {
  it('defaults to the product spec attribution windows and a 400-day retention', () => {
    const cfg = parseConfig({});
    expect(cfg.ATTRIBUTION_WINDOWS).toEqual({
      email: { clicked: 120 * HOUR, opened: 120 * HOUR },
      sms: { clicked: 24 * HOUR, delivered: 12 * HOUR },
    });
    expect(cfg.ANALYTICS_RETENTION_DAYS).toBe(400);
    expect(cfg.EXPORT_S3_FORCE_PATH_STYLE).toBe(false);
  });

  it('reads windows per channel and touch in any duration unit', () => {
    const cfg = parseConfig({ ATTRIBUTION_WINDOWS: '{"email":{"clicked":"2 days"},"sms":{"delivered":"90 minutes"}}' });
    expect(cfg.ATTRIBUTION_WINDOWS).toEqual({ email: { clicked: 48 * HOUR }, sms: { delivered: 1.5 * HOUR } });
  });

  it.each([
    ['not JSON', 'five days'],
    ['an unknown channel', '{"fax":{"clicked":"1 day"}}'],
    ['an unknown touch', '{"email":{"bounced":"1 day"}}'],
    ['a bad duration', '{"email":{"clicked":"soon"}}'],
  ])('refuses %s, naming the setting', (_, value) => {
    expect(() => parseConfig({ ATTRIBUTION_WINDOWS: value })).toThrow(ConfigError);
    expect(() => parseConfig({ ATTRIBUTION_WINDOWS: value })).toThrow(/ATTRIBUTION_WINDOWS/);
  });

  it('keeps raw events at least a month', () => {
    expect(() => parseConfig({ ANALYTICS_RETENTION_DAYS: '7' })).toThrow(/ANALYTICS_RETENTION_DAYS/);
  });
});
