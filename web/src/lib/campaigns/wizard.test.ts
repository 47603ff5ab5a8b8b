import { describe, expect, it } from 'vitest';
import { campaignFormSchema, stepOf, tomorrow } from './wizard.ts';

describe('the campaign wizard', () => {
  it('resumes at the step the campaign is in', () => {
    expect(stepOf(undefined)).toBe('details');
    expect(stepOf('draft')).toBe('plan');
    expect(stepOf('planning')).toBe('plan');
    expect(stepOf('awaiting_approval')).toBe('review');
    expect(stepOf('scheduled')).toBe('launch');
    expect(stepOf('active')).toBe('launch');
  });

  it('checks the details like the API, with messages for the marketer', () => {
    const ok = campaignFormSchema.safeParse({
      name: 'Winter win-back',
      type: 'win_back',
      goal: 'Bring regulars back',
      startsOn: '2026-12-01',
    });
    expect(ok.success && ok.data).toMatchObject({ channels: ['email'], audienceSize: 300, windowDays: 7 });
    const bad = campaignFormSchema.safeParse({
      name: ' ',
      type: 'win_back',
      goal: '',
      channels: [],
      startsOn: 'soon',
      audienceSize: 100_001,
    });
    expect(bad.success).toBe(false);
    const messages = Object.fromEntries(bad.error!.issues.map((i) => [i.path.join('.'), i.message]));
    expect(messages).toEqual({
      name: 'Give the campaign a name.',
      goal: 'Say what the campaign should achieve.',
      channels: 'Pick at least one channel.',
      startsOn: 'Pick the first day.',
      audienceSize: 'At most 100,000 customers.',
    });
  });

  it('starts tomorrow by default, across a month end', () => {
    expect(tomorrow(new Date(2026, 10, 30, 23, 0))).toBe('2026-12-01');
  });
});
