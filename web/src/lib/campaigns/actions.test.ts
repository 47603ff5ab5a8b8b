import { describe, expect, it } from 'vitest';
import { draftOf, editsFrom, placeErrors, validateDraft, type EditContext } from './actions.ts';
import type { PlanAction } from './types.ts';

const action: PlanAction = {
  id: 'a1',
  customerId: 'c1',
  firstName: 'Ada',
  lastName: null,
  segment: 'at_risk',
  day: 0,
  scheduledOn: '2026-12-01',
  windowStart: '10:00',
  windowEnd: '18:00',
  channels: ['email'],
  offer: { key: 'winback', label: '10 % off', kind: 'percent_off', discountPct: 10 },
  brief: '',
  rationale: '',
  priority: 1,
  status: 'planned',
};
const ctx: EditContext = {
  windowDays: 7,
  channels: ['email', 'sms'],
  playbooks: {
    at_risk: {
      offers: [
        { key: 'winback', label: '10 % off', kind: 'percent_off', maxDiscountPct: 15 },
        { key: 'tasting', label: 'Free tasting', kind: 'event' },
      ],
      limits: { maxDiscountPct: 15, channels: ['email', 'sms'] },
    },
  },
};

describe('editing a planned action', () => {
  it('accepts a change within the campaign and the playbook', () => {
    expect(validateDraft(action, { ...draftOf(action), day: 6, channels: ['sms'], discountPct: 15 }, ctx)).toEqual({});
  });

  it('says what is wrong with each field', () => {
    const errors = validateDraft(
      action,
      { remove: false, day: 7, channels: [], offerKey: 'bogus', discountPct: 30 },
      ctx,
    );
    expect(errors).toEqual({
      day: 'Pick a day from 1 to 7.',
      channels: 'Pick at least one channel.',
      offerKey: "This offer is not in the customer's segment playbook.",
      discountPct: 'The discount must be between 0 % and 15 %.',
    });
    expect(validateDraft(action, { ...draftOf(action), channels: ['email'] }, { ...ctx, channels: ['sms'] })).toEqual({
      channels: 'This campaign does not send by email.',
    });
  });

  it('sends only what changed, and removals', () => {
    const other = { ...action, id: 'a2' };
    const third = { ...action, id: 'a3' };
    expect(
      editsFrom([action, other, third], {
        a1: { ...draftOf(action), day: 2, offerKey: 'tasting' },
        a2: { ...draftOf(other), remove: true },
        a3: draftOf(third),
      }),
    ).toEqual([
      { op: 'change', actionId: 'a1', day: 2, offerKey: 'tasting' },
      { op: 'remove', actionId: 'a2' },
    ]);
  });

  it("puts the API's reasons next to the actions they name", () => {
    expect(
      placeErrors(
        [
          { path: 'edits', message: 'action a2 is not part of this campaign' },
          { path: 'edits', message: 'too many messages on day 3' },
        ],
        ['a1', 'a2'],
      ),
    ).toEqual({
      byAction: { a2: ['this action is not part of this campaign'] },
      general: ['too many messages on day 3'],
    });
  });
});
