import { z } from 'zod';

/**
 * Segment playbooks: what a campaign may offer each segment, and within which limits. The
 * planner (LLM or deterministic) reads them; plan validation enforces them.
 */

export const offerKinds = [
  'percent_off',
  'amount_off',
  'early_access',
  'free_gift',
  'loyalty_points',
  'tasting_invite',
  'none',
] as const;

export const offerSchema = z
  .strictObject({
    key: z.string().regex(/^[a-z0-9_]{2,40}$/, 'lower-case letters, digits and _'),
    label: z.string().trim().min(1).max(80),
    kind: z.enum(offerKinds),
    /** Whose products the offer is on: the customer's primary category, new arrivals, or anything. */
    appliesTo: z.enum(['primary_category', 'new_arrivals', 'any']),
    minDiscountPct: z.number().min(0).max(50).optional(),
    maxDiscountPct: z.number().min(0).max(50).optional(),
    amountOff: z.number().min(0).max(500).optional(),
    description: z.string().trim().max(400).default(''),
  })
  .refine((o) => (o.minDiscountPct ?? 0) <= (o.maxDiscountPct ?? o.minDiscountPct ?? 0), {
    message: 'minDiscountPct must not exceed maxDiscountPct',
    path: ['minDiscountPct'],
  })
  .refine((o) => o.kind !== 'percent_off' || o.maxDiscountPct !== undefined, {
    message: 'a percent_off offer needs maxDiscountPct',
    path: ['maxDiscountPct'],
  });

export const playbookSchema = z
  .strictObject({
    goal: z.string().trim().min(1).max(300),
    offers: z.array(offerSchema).min(1).max(10),
    limits: z.strictObject({
      /** Marketing messages per customer per 7 days from campaigns targeting this segment. */
      maxMessagesPerWeek: z.number().int().min(0).max(7),
      maxDiscountPct: z.number().min(0).max(50),
      channels: z.array(z.enum(['email', 'sms'])).min(1),
      /** Days to leave a customer alone after a campaign touched them. */
      cooldownDays: z.number().int().min(0).max(90),
    }),
  })
  .refine((p) => p.offers.every((o) => (o.maxDiscountPct ?? 0) <= p.limits.maxDiscountPct), {
    message: 'an offer exceeds the playbook maxDiscountPct',
    path: ['offers'],
  });

export type Offer = z.infer<typeof offerSchema>;
export type Playbook = z.infer<typeof playbookSchema>;

export interface SegmentDefinition {
  key: string;
  name: string;
  description: string;
  /** The RFM grid cells (recency score × frequency score) that fall into the segment. */
  rules: { recency: [number, number]; frequency: [number, number] };
  playbook: Playbook;
}

const winBack = (pct: number): Offer => ({
  key: `winback_${pct}`,
  label: `${pct}% off their favourite category`,
  kind: 'percent_off',
  appliesTo: 'primary_category',
  minDiscountPct: Math.max(5, pct - 5),
  maxDiscountPct: pct,
  description: 'A reason to come back for what they used to buy.',
});

const earlyAccess: Offer = {
  key: 'early_access',
  label: 'Early access to new arrivals and allocated bottles',
  kind: 'early_access',
  appliesTo: 'new_arrivals',
  description: 'Limited releases before they go on the shelf.',
};

const tasting: Offer = {
  key: 'tasting_invite',
  label: 'Invitation to an in-store tasting',
  kind: 'tasting_invite',
  appliesTo: 'primary_category',
  description: 'A free tasting of their favourite category.',
};

const points: Offer = {
  key: 'double_points',
  label: 'Double loyalty points this week',
  kind: 'loyalty_points',
  appliesTo: 'any',
  description: 'Rewards frequency without discounting.',
};

const secondVisit = (pct: number): Offer => ({
  key: `second_visit_${pct}`,
  label: `${pct}% off the next visit`,
  kind: 'percent_off',
  appliesTo: 'any',
  minDiscountPct: 5,
  maxDiscountPct: pct,
  description: 'Turns a first purchase into a habit.',
});

const limits = (maxMessagesPerWeek: number, maxDiscountPct: number, cooldownDays: number, sms = true) => ({
  maxMessagesPerWeek,
  maxDiscountPct,
  channels: sms ? (['email', 'sms'] as ('email' | 'sms')[]) : (['email'] as ('email' | 'sms')[]),
  cooldownDays,
});

/**
 * The 10-segment recency × frequency grid. Each cell of the 5 × 5 grid belongs to exactly one
 * segment (R = recency score, F = frequency score; 5 is best).
 */
export const defaultSegments: SegmentDefinition[] = [
  {
    key: 'champions',
    name: 'Champions',
    description: 'Bought recently, buy often. Reward them; no discount needed.',
    rules: { recency: [5, 5], frequency: [4, 5] },
    playbook: {
      goal: 'Delight and retain the best customers',
      offers: [earlyAccess, tasting, points],
      limits: limits(2, 0, 3),
    },
  },
  {
    key: 'loyal',
    name: 'Loyal',
    description: 'Buy often and fairly recently.',
    rules: { recency: [3, 4], frequency: [4, 5] },
    playbook: { goal: 'Keep the habit going', offers: [points, earlyAccess, winBack(10)], limits: limits(2, 10, 5) },
  },
  {
    key: 'potential_loyalists',
    name: 'Potential Loyalists',
    description: 'Recent customers with a few purchases.',
    rules: { recency: [4, 5], frequency: [2, 3] },
    playbook: { goal: 'Make them regulars', offers: [points, secondVisit(10), tasting], limits: limits(2, 10, 5) },
  },
  {
    key: 'new_customers',
    name: 'New Customers',
    description: 'Bought for the first time, very recently.',
    rules: { recency: [5, 5], frequency: [1, 1] },
    playbook: { goal: 'Earn the second visit', offers: [secondVisit(10), tasting], limits: limits(2, 10, 7, false) },
  },
  {
    key: 'promising',
    name: 'Promising',
    description: 'Recent but infrequent.',
    rules: { recency: [4, 4], frequency: [1, 1] },
    playbook: { goal: 'Build interest', offers: [secondVisit(10), tasting], limits: limits(1, 10, 7, false) },
  },
  {
    key: 'need_attention',
    name: 'Need Attention',
    description: 'Average recency and frequency; slipping.',
    rules: { recency: [3, 3], frequency: [3, 3] },
    playbook: { goal: 'Re-engage before they lapse', offers: [winBack(10), points], limits: limits(2, 15, 7) },
  },
  {
    key: 'about_to_sleep',
    name: 'About To Sleep',
    description: 'Below-average recency and frequency.',
    rules: { recency: [3, 3], frequency: [1, 2] },
    playbook: { goal: 'Wake them with a relevant offer', offers: [winBack(15), tasting], limits: limits(1, 15, 10) },
  },
  {
    key: 'at_risk',
    name: 'At Risk',
    description: 'Used to buy often, but not lately.',
    rules: { recency: [1, 2], frequency: [3, 4] },
    playbook: {
      goal: 'Win them back on their primary category',
      offers: [winBack(15), winBack(20)],
      limits: limits(2, 20, 7),
    },
  },
  {
    key: 'cant_lose',
    name: "Can't Lose",
    description: 'Were among the best; have not bought for a long time.',
    rules: { recency: [1, 2], frequency: [5, 5] },
    playbook: {
      goal: 'Win back the most valuable lapsed customers',
      offers: [winBack(20), earlyAccess],
      limits: limits(2, 25, 7),
    },
  },
  {
    key: 'hibernating',
    name: 'Hibernating',
    description: 'Last bought long ago and seldom.',
    rules: { recency: [1, 2], frequency: [1, 2] },
    playbook: { goal: 'One good reason to return', offers: [winBack(20)], limits: limits(1, 25, 14) },
  },
];

/** The segment a recency × frequency cell belongs to. */
export function segmentForCell(
  recency: number,
  frequency: number,
  segments: SegmentDefinition[] = defaultSegments,
): SegmentDefinition {
  const found = segments.find(
    (s) =>
      recency >= s.rules.recency[0] &&
      recency <= s.rules.recency[1] &&
      frequency >= s.rules.frequency[0] &&
      frequency <= s.rules.frequency[1],
  );
  if (!found) throw new Error(`No segment covers R=${recency}, F=${frequency}`);
  return found;
}
