import { checkCopy } from '../messaging/copy.ts';
import type { Offer } from '../segments/playbooks.ts';
import type {
  CampaignPlan,
  CampaignType,
  CopyRecord,
  PlannedAction,
  PlannedCopy,
  PlanningInput,
  PlanOffer,
  SegmentCopy,
} from './types.ts';

/**
 * Message copy per segment: what the plan's message briefs become once they are written. Copy
 * is per segment, not per customer, and speaks through the copy variables ({{ first_name }},
 * {{ offer_label }}, …), so one text fits every customer and offer of the segment.
 *
 * The deterministic copy, used without an LLM and whenever the model's copy is refused:
 * - one entry per segment with an action in the plan, in the order of their first action;
 * - subject and opening line from the campaign type (TYPE_COPY);
 * - the offer sentence and the SMS from the offer kind (OFFER_COPY) of the segment's actions
 *   when they all share one; segments offered several kinds get the kind-neutral wording,
 *   which names each customer's own offer through {{ offer_label }};
 * - the theme of the segment's lead action (its first in the plan): the theme its brief is
 *   written “on”, else the plan's theme for its day.
 */

type OfferKind = Offer['kind'];

export const TYPE_COPY: Readonly<Record<CampaignType, { subject: string; opening: string }>> = {
  win_back: {
    subject: '{{ first_name }}, we saved you a spot at {{ store_name }}',
    opening: 'It has been a while, and we would love to see you back at {{ store_name }}.',
  },
  re_engagement: {
    subject: '{{ first_name }}, picked for you at {{ store_name }}',
    opening: 'We picked a few bottles from our {{ primary_category }} shelf with you in mind.',
  },
  new_arrival: {
    subject: 'Just landed at {{ store_name }}, {{ first_name }}',
    opening: 'New bottles just landed at {{ store_name }}, and you get the first look.',
  },
  holiday: {
    subject: '{{ first_name }}, your holiday table starts here',
    opening: 'The holidays are close: bottles for the table, for the host and for the countdown are on our shelves.',
  },
  custom: {
    subject: 'This week at {{ store_name }}, {{ first_name }}',
    opening: 'Here is what is happening at {{ store_name }} this week.',
  },
};

export const OFFER_COPY: Readonly<Record<OfferKind | 'mixed', { line: string; sms: string }>> = {
  percent_off: {
    line: 'Take {{ offer_discount }} off {{ primary_category }} this week.',
    sms: '{{ offer_discount }} off {{ primary_category }} this week',
  },
  amount_off: {
    line: 'This week only: {{ offer_label }} on your next order.',
    sms: '{{ offer_label }} on your next order this week',
  },
  early_access: {
    line: 'You get first pick of new arrivals and allocated bottles, before they reach the shelf.',
    sms: 'first pick of new and allocated bottles',
  },
  free_gift: {
    line: '{{ offer_label }} with your next visit, while stocks last.',
    sms: '{{ offer_label }}, while stocks last',
  },
  loyalty_points: {
    line: '{{ offer_label }}: every purchase this week counts for more.',
    sms: '{{ offer_label }}',
  },
  tasting_invite: {
    line:
      'Join us for an in-store {{ primary_category }} tasting this week. Tastings are for guests of legal ' +
      'drinking age; please bring ID.',
    sms: 'join our in-store tasting this week (ID required)',
  },
  none: {
    line: 'Come and see what is new on our shelves.',
    sms: 'new on our shelves this week',
  },
  mixed: {
    line: 'This week we have something for you: {{ offer_label }}.',
    sms: '{{ offer_label }}',
  },
};

export interface PlanSegment {
  segment: string;
  /** The segment's first action in the plan. */
  lead: PlannedAction;
  /** The distinct offers of its actions, by key, in order of first use. */
  offers: PlanOffer[];
  actions: number;
}

/** The segments the plan reaches, in the order of their first action. */
export function planSegments(input: PlanningInput, plan: CampaignPlan): PlanSegment[] {
  const segmentOf = new Map(input.customers.map((c) => [c.customerId, c.segment]));
  const bySegment = new Map<string, PlanSegment>();
  for (const action of plan.actions) {
    const segment = segmentOf.get(action.customerId);
    if (segment === undefined) continue;
    let entry = bySegment.get(segment);
    if (!entry) {
      entry = { segment, lead: action, offers: [], actions: 0 };
      bySegment.set(segment, entry);
    }
    entry.actions++;
    if (!entry.offers.some((o) => o.key === action.offer.key)) entry.offers.push(action.offer);
  }
  return [...bySegment.values()];
}

/** Model-written themes are text, not Liquid or markup, and one short line. */
function plainTheme(theme: string): string {
  return theme
    .replace(/[{}%<>]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120)
    .replace(/[.!?:;,\s]+$/, '');
}

function leadTheme(plan: CampaignPlan, lead: PlannedAction): string {
  const quoted = /“([^”]+)”/.exec(lead.brief)?.[1];
  return plainTheme(quoted ?? plan.themes.find((t) => t.day === lead.day)?.theme ?? '');
}

export function deterministicCopy(input: PlanningInput, plan: CampaignPlan): SegmentCopy[] {
  const type = TYPE_COPY[input.campaign.type];
  return planSegments(input, plan).map(({ segment, lead, offers }) => {
    const kinds = new Set(offers.map((o) => o.kind));
    const offer = OFFER_COPY[kinds.size === 1 ? lead.offer.kind : 'mixed'];
    const theme = leadTheme(plan, lead);
    return {
      segment,
      subject: type.subject,
      body: [
        'Hi {{ first_name }},',
        type.opening,
        theme ? `${theme}. ${offer.line}` : offer.line,
        'See you soon at {{ store_name }}.',
      ].join('\n\n'),
      sms: `{{ store_name }}: ${offer.sms}, {{ first_name }}. {{ shop_url }}`,
    };
  });
}

/**
 * The copy to store: the model's draft for each segment of the plan where it passes
 * `checkCopy`, the deterministic copy where it is missing or refused (with the reasons).
 */
export async function settleDraftedCopy(
  drafts: SegmentCopy[],
  fallback: SegmentCopy[],
  options: { storeName?: string } = {},
): Promise<{ copy: PlannedCopy[]; rejected: CopyRecord['rejected'] }> {
  const rejected: CopyRecord['rejected'] = [];
  const copy = await Promise.all(
    fallback.map(async (ours): Promise<PlannedCopy> => {
      const draft = drafts.find((d) => d.segment === ours.segment);
      const issues = draft
        ? (await checkCopy(draft, options)).map((i) => `${i.field}: ${i.message}`)
        : ['no copy was drafted for this segment'];
      if (issues.length === 0) {
        return { segment: ours.segment, subject: draft!.subject, body: draft!.body, sms: draft!.sms, source: 'llm' };
      }
      rejected.push({ segment: ours.segment, issues });
      return { ...ours, source: 'deterministic' };
    }),
  );
  // Promise.all settles in any order; the record lists segments as the plan does.
  const order = fallback.map((c) => c.segment);
  rejected.sort((a, b) => order.indexOf(a.segment) - order.indexOf(b.segment));
  return { copy, rejected };
}

export function asDeterministic(copy: SegmentCopy[]): PlannedCopy[] {
  return copy.map((c) => ({ ...c, source: 'deterministic' }));
}
