import { describe, expect, it } from 'vitest';
import { newOffer, numberOrUndefined, problemToFieldErrors, segmentFormSchema, type SegmentForm } from './form.ts';

const valid: SegmentForm = {
  name: 'Champions',
  description: 'Best customers',
  playbook: {
    goal: 'Keep them close',
    offers: [
      {
        key: 'early_access',
        label: 'Early access',
        kind: 'early_access',
        appliesTo: 'new_arrivals',
        description: '',
      },
    ],
    limits: { maxMessagesPerWeek: 2, maxDiscountPct: 10, channels: ['email'], cooldownDays: 7 },
  },
};

describe('segment playbook form', () => {
  it('accepts a playbook the API accepts', () => {
    expect(segmentFormSchema.safeParse(valid).success).toBe(true);
  });

  it.each([
    [
      'an offer over the playbook’s discount limit',
      { offers: [{ ...newOffer([]), maxDiscountPct: 30 }] },
      'playbook.offers',
    ],
    ['no offers', { offers: [] }, 'playbook.offers'],
    [
      'more than 7 messages a week',
      { limits: { ...valid.playbook.limits, maxMessagesPerWeek: 9 } },
      'playbook.limits.maxMessagesPerWeek',
    ],
    ['no channel', { limits: { ...valid.playbook.limits, channels: [] } }, 'playbook.limits.channels'],
    [
      'a key with capitals',
      { offers: [{ ...newOffer([]), key: 'Bad Key', maxDiscountPct: 5 }] },
      'playbook.offers.0.key',
    ],
  ])('rejects %s, at the field', (_what, change, path) => {
    const result = segmentFormSchema.safeParse({ ...valid, playbook: { ...valid.playbook, ...change } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('puts the API’s field errors on the form’s fields', () => {
    expect(
      problemToFieldErrors([
        { path: 'body.playbook.offers.1.label', message: 'Too long' },
        { path: 'body', message: 'Unrecognized key' },
      ]),
    ).toEqual([
      ['playbook.offers[1].label', 'Too long'],
      ['_', 'Unrecognized key'],
    ]);
  });

  it('gives new offers keys that do not clash', () => {
    expect(newOffer([{ key: 'offer_2' }]).key).toBe('offer_3');
    expect(numberOrUndefined('')).toBeUndefined();
    expect(numberOrUndefined('12.5')).toBe(12.5);
  });
});
