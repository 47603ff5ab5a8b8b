import type { Offer, Playbook } from '../segments/playbooks.ts';
import { addDays, clockMinutes, clockTime, dayNumber } from './calendar.ts';
import { rankCustomers, type RankedCustomer } from './priority.ts';
import { reachOf, type Reach } from './reach.ts';
import type {
  CampaignPlan,
  CampaignType,
  Channel,
  PlanOffer,
  PlannedAction,
  PlanningInput,
  SkipReason,
  SkippedCustomers,
} from './types.ts';
import { offerProblem } from './validate.ts';

/**
 * The planner used when no LLM is configured, and whenever the LLM's plan cannot be used. One
 * action per reachable customer; the same input gives the same plan, whatever order the
 * customers arrive in. The heuristic:
 *
 * - Audience order: priority (priority.ts), computed within the audience.
 * - Day: when the predicted next purchase falls between day 0 and LEAD_DAYS after the window,
 *   LEAD_DAYS before it (clamped into the window) — the message lands while they are deciding.
 *   Everyone else is spread evenly over the window in priority order, so the highest-priority
 *   customers go first. A customer still at the frequency cap moves to the first day the cap
 *   has room (recent messages age out of the rolling window).
 * - Window: WINDOW_MINUTES starting an hour before their usual order hour, so the message arrives
 *   as they are about to buy; night buyers get the last WINDOW_MINUTES of the send hours (their
 *   usual hour is in the quiet hours). Both are clamped into the send hours.
 * - Channel: one per action, from the campaign's channels that they consented to and their
 *   playbook allows. When both are open, SMS for the top SMS_TOP_SHARE of the reachable audience
 *   (it is read within minutes and costs more), e-mail for everyone else.
 * - Offer: the playbook's offers ordered by how well their kind suits the campaign type
 *   (OFFER_PREFERENCE; a custom campaign keeps the playbook's own order). Between discounts of
 *   the preferred kind, high churn risk gets the deepest one, everyone else the shallowest;
 *   the discount is the offer's maximum, capped by the playbook, which keeps the label true.
 * - Themes: one per day from a per-type list; the last day is always the "last call".
 */

export const LEAD_DAYS = 2;
export const SMS_TOP_SHARE = 0.2;
export const WINDOW_MINUTES = 120;
/** For customers with no usual order hour: late morning. */
export const DEFAULT_ORDER_HOUR = 11;

type OfferKind = Offer['kind'];

export const OFFER_PREFERENCE: Readonly<Record<CampaignType, readonly OfferKind[]>> = {
  win_back: ['percent_off', 'amount_off', 'tasting_invite', 'early_access', 'free_gift', 'loyalty_points', 'none'],
  re_engagement: ['percent_off', 'loyalty_points', 'tasting_invite', 'free_gift', 'amount_off', 'early_access', 'none'],
  new_arrival: ['early_access', 'tasting_invite', 'loyalty_points', 'free_gift', 'percent_off', 'amount_off', 'none'],
  holiday: ['free_gift', 'percent_off', 'loyalty_points', 'early_access', 'tasting_invite', 'amount_off', 'none'],
  custom: [],
};

const THEMES: Readonly<Record<CampaignType, readonly string[]>> = {
  win_back: [
    'We saved your favourites',
    'What is new since your last visit',
    'A thank-you to come back for',
    'Staff picks from your favourite shelf',
    'Back in stock this week',
    'Weekend pour: something to share',
  ],
  re_engagement: [
    'Picked for you',
    'Your shelf, restocked',
    'A reason to stop by',
    'Tasting notes from the staff',
    'Pairings for the week',
    'Weekend pour: something to share',
  ],
  new_arrival: [
    'Just landed',
    'Allocated bottles: first look',
    'From the distillery to our shelf',
    'Tasting notes on the new arrivals',
    'Small-batch spotlight',
    'Weekend pour: try something new',
  ],
  holiday: [
    'The holiday table',
    'Gifts for the host',
    'Bottles worth wrapping',
    'Party-size and by the case',
    'Sparkling for the countdown',
    'Festive pairings',
  ],
  custom: ['This week at the store', 'Picked for you', 'Staff favourites', 'On the shelf now', 'Weekend pour'],
};
const LAST_CALL = 'Last call: the offer ends today';

export interface DeterministicPlan {
  plan: CampaignPlan;
  skipped: SkippedCustomers;
}

interface Candidate {
  ranked: RankedCustomer;
  reach: Reach;
  offer: PlanOffer;
}

export function planDeterministic(input: PlanningInput): DeterministicPlan {
  const { campaign } = input;
  const ranked = rankCustomers(input.customers, campaign.type);
  const skipped: SkippedCustomers = { total: 0, byReason: {} };
  const skip = (reason: SkipReason) => {
    skipped.total++;
    skipped.byReason[reason] = (skipped.byReason[reason] ?? 0) + 1;
  };

  const offers = new Map<string, PlanOffer | undefined>();
  const candidates: Candidate[] = [];
  for (const r of ranked) {
    const reach = reachOf(r.customer, input);
    if (typeof reach === 'string') {
      skip(reach);
      continue;
    }
    const offerKey = `${r.customer.segment}\u0000${r.customer.churnBand === 'high'}`;
    if (!offers.has(offerKey)) {
      offers.set(offerKey, chooseOffer(reach.playbook, campaign.type, r.customer.churnBand === 'high'));
    }
    const offer = offers.get(offerKey);
    if (!offer) {
      skip('no_offer_within_limits');
      continue;
    }
    candidates.push({ ranked: r, reach, offer });
  }

  const themes = campaignThemes(campaign.type, campaign.windowDays);
  const days = chooseDays(input, candidates);
  const smsSlots = Math.ceil(candidates.length * SMS_TOP_SHARE);
  const sendStart = clockMinutes(input.rules.sendHours.start)!;
  const sendEnd = clockMinutes(input.rules.sendHours.end)!;
  const scheduledOn = Array.from({ length: campaign.windowDays }, (_, d) => addDays(campaign.startsOn, d));

  const actions = candidates.map((c, i): PlannedAction => {
    const { customer } = c.ranked;
    const { day, why: dayWhy } = days[i]!;
    const channel: Channel = c.reach.channels.length === 1 ? c.reach.channels[0]! : i < smsSlots ? 'sms' : 'email';
    const window = sendWindow(customer.isNightBuyer, customer.preferredHour, sendStart, sendEnd);
    const theme = themes[day]!;
    const channelWhy =
      c.reach.channels.length === 1
        ? `the only channel open to them`
        : channel === 'sms'
          ? `top ${Math.round(SMS_TOP_SHARE * 100)}% priority with SMS consent`
          : `e-mail below the top ${Math.round(SMS_TOP_SHARE * 100)}% priority`;
    return {
      customerId: customer.customerId,
      day,
      scheduledOn: scheduledOn[day]!,
      window: { start: clockTime(window.start), end: clockTime(window.end) },
      channels: [channel],
      offer: c.offer,
      brief: brief(channel, theme, c.offer, customer.primaryCategory, c.reach.playbook),
      rationale:
        `Rank ${c.ranked.rank} of ${ranked.length}, priority ${c.ranked.priority} ` +
        `(CLV percentile ${c.ranked.clvPercentile.toFixed(2)}, churn risk ${customer.churnRisk.toFixed(2)}, ` +
        `${customer.segment} fit ${c.ranked.fit} for ${campaign.type}). Day ${day}: ${dayWhy}. ` +
        `${clockTime(window.start)}–${clockTime(window.end)}: ${window.why}. ${channel}: ${channelWhy}.`,
      priority: c.ranked.priority,
    };
  });
  // Candidates are in priority order; a stable sort by day keeps that order within each day.
  const order = actions.map((_, i) => i).sort((a, b) => actions[a]!.day - actions[b]!.day || a - b);
  return {
    plan: { themes: themes.map((theme, day) => ({ day, theme })), actions: order.map((i) => actions[i]!) },
    skipped,
  };
}

function chooseDays(input: PlanningInput, candidates: Candidate[]): { day: number; why: string }[] {
  const { windowDays, startsOn } = input.campaign;
  const firstDay = dayNumber(startsOn);
  const chosen: { day: number; why: string }[] = new Array(candidates.length);
  const untimed: number[] = [];
  candidates.forEach((c, i) => {
    const predicted = c.ranked.customer.predictedNextPurchaseOn;
    const offset = predicted === null ? Number.NaN : dayNumber(predicted) - firstDay;
    if (offset >= 0 && offset <= windowDays - 1 + LEAD_DAYS) {
      const day = Math.min(windowDays - 1, Math.max(0, offset - LEAD_DAYS));
      chosen[i] = { day, why: `${offset - day} day(s) before their predicted purchase on ${predicted}` };
    } else {
      untimed.push(i);
    }
  });
  untimed.forEach((i, j) => {
    chosen[i] = { day: Math.floor((j * windowDays) / untimed.length), why: 'spread over the window by priority' };
  });
  return chosen.map((c, i) => {
    const open = candidates[i]!.reach.firstOpenDay;
    return c.day >= open ? c : { day: open, why: `${c.why}, moved to the first day under the frequency cap` };
  });
}

function sendWindow(
  nightBuyer: boolean,
  preferredHour: number | null,
  sendStart: number,
  sendEnd: number,
): { start: number; end: number; why: string } {
  const length = Math.min(WINDOW_MINUTES, sendEnd - sendStart);
  if (nightBuyer) {
    return { start: sendEnd - length, end: sendEnd, why: 'night buyer, the last hours before quiet hours' };
  }
  const hour = preferredHour ?? DEFAULT_ORDER_HOUR;
  const wanted = hour * 60 - 60;
  const start = Math.min(sendEnd - length, Math.max(sendStart, wanted));
  const usual = `their usual order hour ${clockTime(hour * 60)}`;
  const why =
    preferredHour === null
      ? 'no usual order hour, late morning'
      : start === wanted
        ? `an hour before ${usual}`
        : `${usual} is outside the send hours, the nearest window inside them`;
  return { start, end: start + length, why };
}

/** The best-fitting offer of the playbook that respects its limits, or undefined if none does. */
export function chooseOffer(playbook: Playbook, type: CampaignType, highChurn: boolean): PlanOffer | undefined {
  const preference = OFFER_PREFERENCE[type];
  const rankOf = (o: Offer) => {
    const at = preference.indexOf(o.kind);
    return at < 0 ? preference.length : at;
  };
  const usable = playbook.offers
    .map((offer, order) => ({ offer, order, plan: toPlanOffer(offer, playbook) }))
    .filter((o) => offerProblem(o.plan, playbook) === undefined);
  if (usable.length === 0) return undefined;
  usable.sort(
    (a, b) =>
      rankOf(a.offer) - rankOf(b.offer) ||
      newArrivalFirst(type, a.offer) - newArrivalFirst(type, b.offer) ||
      a.order - b.order,
  );
  const bestKind = usable[0]!.offer.kind;
  const sameKind = usable.filter((o) => o.offer.kind === bestKind);
  const depth = (o: (typeof sameKind)[number]) => o.plan.discountPct ?? 0;
  const pick = sameKind.reduce((best, o) =>
    highChurn ? (depth(o) > depth(best) ? o : best) : depth(o) < depth(best) ? o : best,
  );
  return pick.plan;
}

function newArrivalFirst(type: CampaignType, offer: Offer): number {
  return type === 'new_arrival' && offer.appliesTo !== 'new_arrivals' ? 1 : 0;
}

function toPlanOffer(offer: Offer, playbook: Playbook): PlanOffer {
  const pct = Math.min(offer.maxDiscountPct ?? 0, playbook.limits.maxDiscountPct);
  return pct > 0
    ? { key: offer.key, label: offer.label, kind: offer.kind, discountPct: pct }
    : { key: offer.key, label: offer.label, kind: offer.kind };
}

export function campaignThemes(type: CampaignType, windowDays: number): string[] {
  const list = THEMES[type];
  return Array.from({ length: windowDays }, (_, day) =>
    day === windowDays - 1 && windowDays > 1 ? LAST_CALL : list[day % list.length]!,
  );
}

function brief(channel: Channel, theme: string, offer: PlanOffer, category: string | null, playbook: Playbook) {
  const feature = category ? `Feature ${category}.` : 'Feature the store’s best sellers.';
  const form = channel === 'sms' ? 'SMS (one short line with the offer and a link)' : 'E-mail';
  return `${form} on “${theme}”. Offer: ${offer.label}. ${feature} Goal: ${playbook.goal}.`;
}
