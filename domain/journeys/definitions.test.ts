import { describe, expect, it } from 'vitest';
import {
  eventEffect,
  journeyKinds,
  journeys,
  journeySettings,
  journeySettingsSchema,
  journeyWorkflowId,
} from './definitions.ts';

describe('journey definitions', () => {
  it("every journey's defaults are valid settings", () => {
    for (const kind of journeyKinds) {
      expect(journeySettingsSchema.safeParse(journeys[kind].defaults).success, kind).toBe(true);
    }
    expect(journeys.welcome.defaults.steps.map((s) => s.afterHours)).toEqual([0, 72, 168]);
  });

  it('a purchase ends the win-back and the cart reminder, not the welcome or the follow-up', () => {
    expect(journeyKinds.filter((k) => journeys[k].exitsOnPurchase)).toEqual(['win_back', 'abandoned_cart']);
  });

  it('events start and signal their journeys; others do nothing', () => {
    expect(eventEffect('signup')).toEqual({ starts: ['welcome'], signals: [] });
    expect(eventEffect('purchase')).toEqual({ starts: ['post_purchase'], signals: ['abandoned_cart', 'win_back'] });
    expect(eventEffect('cart_abandoned')).toEqual({ starts: ['abandoned_cart'], signals: [] });
    expect(eventEffect('page_view')).toEqual({ starts: [], signals: [] });
    expect(eventEffect('__proto__')).toEqual({ starts: [], signals: [] });
  });

  it('the stored settings override the defaults; a row that no longer parses keeps the defaults', () => {
    expect(journeySettings('welcome')).toBe(journeys.welcome.defaults);
    const steps = [{ afterHours: 2, channel: 'sms', offer: { key: 'k', label: 'L', kind: 'none' } }];
    expect(journeySettings('welcome', { enabled: false, settings: { steps } })).toEqual({ enabled: false, steps });
    expect(journeySettings('welcome', { enabled: true, settings: { steps: 'nonsense' } })).toEqual({
      enabled: true,
      steps: journeys.welcome.defaults.steps,
    });
  });

  it('steps go out in order', () => {
    const step = (afterHours: number) => ({
      afterHours,
      channel: 'email',
      offer: { key: 'k', label: 'L', kind: 'none' },
    });
    expect(journeySettingsSchema.safeParse({ enabled: true, steps: [step(5), step(1)] }).success).toBe(false);
    expect(journeySettingsSchema.safeParse({ enabled: true, steps: [step(1), step(1), step(5)] }).success).toBe(true);
    expect(journeySettingsSchema.safeParse({ enabled: true, steps: [] }).success).toBe(false);
  });

  it('one workflow id per journey and customer', () => {
    expect(journeyWorkflowId('abandoned_cart', 'c-1')).toBe('journey-abandoned_cart-c-1');
  });
});
