import { describe, expect, it } from 'vitest';
import { fixtureId, planningCustomer, planningInput } from './fixtures.ts';
import type { CampaignPlan, PlannedAction, PlanningInput, PlanRule } from './types.ts';
import { PLAN_RULES } from './types.ts';
import { validatePlan } from './validate.ts';

interface Scenario {
  input: PlanningInput;
  plan: CampaignPlan;
}

/** Two customers and a plan that breaks nothing: the starting point of every case. */
function validScenario(): Scenario {
  const input = planningInput([
    planningCustomer(1, { segment: 'at_risk' }),
    planningCustomer(2, { segment: 'champions', consent: { email: true, sms: false }, churnBand: 'low' }),
  ]);
  const actions: PlannedAction[] = [
    {
      customerId: fixtureId(1),
      day: 1,
      scheduledOn: '2026-12-02',
      window: { start: '16:00', end: '18:00' },
      channels: ['sms'],
      offer: { key: 'winback_15', label: '15% off their favourite category', kind: 'percent_off', discountPct: 15 },
      brief: 'SMS with the offer',
      rationale: 'lapsed bourbon buyer',
      priority: 0.7,
    },
    {
      customerId: fixtureId(2),
      day: 0,
      scheduledOn: '2026-12-01',
      window: { start: '10:00', end: '12:00' },
      channels: ['email'],
      offer: { key: 'early_access', label: 'Early access', kind: 'early_access' },
      brief: 'E-mail about allocated bottles',
      rationale: 'champion',
      priority: 0.4,
    },
  ];
  const themes = Array.from({ length: 7 }, (_, day) => ({ day, theme: `Theme ${day}` }));
  return { input, plan: { themes, actions } };
}

const first = (s: Scenario) => s.plan.actions[0]!;
const second = (s: Scenario) => s.plan.actions[1]!;

const cases: [string, PlanRule, (s: Scenario) => void][] = [
  ['a customer outside the audience', 'unknown_customer', (s) => (first(s).customerId = fixtureId(99))],
  ['a segment without a playbook', 'no_playbook', (s) => delete s.input.playbooks.at_risk],
  ['a day after the window', 'day_outside_window', (s) => (first(s).day = 7)],
  ['a negative day', 'day_outside_window', (s) => (first(s).day = -1)],
  ['a date that is not start + day', 'scheduled_on_mismatch', (s) => (first(s).scheduledOn = '2026-12-03')],
  ['no channel', 'channels_malformed', (s) => (first(s).channels = [])],
  ['a channel twice', 'channels_malformed', (s) => (second(s).channels = ['email', 'email'])],
  ['a channel the campaign does not use', 'channel_not_allowed', (s) => (s.input.campaign.channels = ['email'])],
  ['SMS without SMS consent', 'channel_not_consented', (s) => (second(s).channels = ['sms'])],
  [
    'a channel the playbook does not allow',
    'channel_not_in_playbook',
    (s) => (s.input.playbooks.at_risk!.limits.channels = ['email']),
  ],
  [
    'an offer kind the playbook does not have',
    'offer_not_in_playbook',
    (s) => (second(s).offer = { key: 'free_gift', label: 'A gift', kind: 'free_gift' }),
  ],
  [
    'a known key with another kind',
    'offer_not_in_playbook',
    (s) => (second(s).offer = { key: 'early_access', label: 'Early access', kind: 'free_gift' }),
  ],
  ['a discount below the offer minimum', 'discount_out_of_bounds', (s) => (first(s).offer.discountPct = 8)],
  ['a discount above the playbook maximum', 'discount_out_of_bounds', (s) => (first(s).offer.discountPct = 25)],
  ['a discount on a no-discount offer', 'discount_out_of_bounds', (s) => (second(s).offer.discountPct = 10)],
  ['a window that is not HH:MM', 'window_malformed', (s) => (first(s).window = { start: '9:00', end: '11:00' })],
  ['a window that ends first', 'window_malformed', (s) => (first(s).window = { start: '18:00', end: '16:00' })],
  ['a 15-minute window', 'window_malformed', (s) => (first(s).window = { start: '16:00', end: '16:15' })],
  [
    'a window into quiet hours',
    'window_outside_send_hours',
    (s) => (first(s).window = { start: '20:00', end: '22:00' }),
  ],
  [
    'a window before send hours',
    'window_outside_send_hours',
    (s) => (first(s).window = { start: '07:00', end: '09:00' }),
  ],
  ['a customer already at the cap', 'frequency_cap', (s) => (s.input.customers[0]!.recentMarketingMessages = 3)],
  [
    'two actions over the cap with earlier messages',
    'frequency_cap',
    (s) => {
      s.input.customers[0]!.recentMarketingMessages = 2;
      s.plan.actions.push({ ...first(s), day: 3, scheduledOn: '2026-12-04' });
    },
  ],
  ['two actions on one day', 'one_action_per_day', (s) => s.plan.actions.push({ ...first(s), channels: ['email'] })],
  [
    'more messages in a week than the playbook allows',
    'playbook_weekly_limit',
    (s) => {
      s.input.rules.frequencyCap = { max: 10, days: 7 };
      for (const day of [3, 5]) s.plan.actions.push({ ...first(s), day, scheduledOn: `2026-12-0${day + 1}` });
    },
  ],
  [
    'two channels where the playbook allows one message',
    'playbook_weekly_limit',
    (s) => {
      s.input.playbooks.at_risk!.limits.maxMessagesPerWeek = 1;
      first(s).channels = ['email', 'sms'];
    },
  ],
  ['a theme after the window', 'theme_day_outside_window', (s) => s.plan.themes.push({ day: 7, theme: 'Extra' })],
  ['two themes on one day', 'duplicate_theme', (s) => s.plan.themes.push({ day: 0, theme: 'Again' })],
];

describe('plan validation', () => {
  it('accepts a plan that follows every rule', () => {
    const s = validScenario();
    expect(validatePlan(s.input, s.plan)).toEqual([]);
  });

  it.each(cases)('reports %s as %s, and nothing else', (_what, rule, breakIt) => {
    const s = validScenario();
    breakIt(s);
    const errors = validatePlan(s.input, s.plan);
    expect(errors.map((e) => e.rule)).toEqual([rule]);
    const error = errors[0]!;
    expect(error.path).toMatch(/^(actions|themes)\[\d+\]/);
    expect(error.message.length).toBeGreaterThan(0);
    if (error.path.startsWith('actions') && rule !== 'unknown_customer') {
      expect(error.alias).toMatch(/^c\d{3}$/);
      expect(error.customerId).toBe(fixtureId(error.alias === 'c001' ? 1 : 2));
      expect(error.day).toEqual(expect.any(Number));
      expect(error.message).not.toContain(error.customerId);
    }
  });

  it('has a case for every rule', () => {
    expect(new Set(cases.map(([, rule]) => rule))).toEqual(new Set(PLAN_RULES));
  });

  it('accepts another offer of the same kind within its bounds', () => {
    const s = validScenario();
    first(s).offer = { key: 'winback_18', label: '18% off whiskey', kind: 'percent_off', discountPct: 18 };
    expect(validatePlan(s.input, s.plan)).toEqual([]);
  });

  it('lets earlier messages age out of the rolling cap window', () => {
    const s = validScenario();
    s.input.customers[0]!.recentMarketingMessages = 3;
    Object.assign(first(s), { day: 6, scheduledOn: '2026-12-07' });
    expect(validatePlan(s.input, s.plan)).toEqual([]);
    Object.assign(first(s), { day: 5, scheduledOn: '2026-12-06' });
    expect(validatePlan(s.input, s.plan).map((e) => e.rule)).toEqual(['frequency_cap']);
  });

  it('shortens the minimum window to the send hours when they are shorter', () => {
    const s = validScenario();
    s.input.rules.sendHours = { start: '12:00', end: '12:20' };
    for (const action of s.plan.actions) action.window = { start: '12:00', end: '12:20' };
    expect(validatePlan(s.input, s.plan)).toEqual([]);
  });
});
