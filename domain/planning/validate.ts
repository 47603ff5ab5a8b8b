import type { Offer, Playbook } from '../segments/playbooks.ts';
import { clockMinutes, dayNumber, isoDateOf } from './calendar.ts';
import { recentMessagesCounted } from './reach.ts';
import type { CampaignPlan, PlanError, PlanOffer, PlanRule, PlanningCustomer, PlanningInput } from './types.ts';

/**
 * Checks any plan — the LLM's, the heuristic's, a marketer's edit — against the campaign, the
 * audience, the playbooks and the alcohol-marketing rules. The errors are written for whoever
 * fixes the plan: the LLM in its repair round or a marketer in the review screen. Send-time
 * checks still run in the send activity; this is the plan-time half.
 *
 * Messages count one per channel: an action on e-mail and SMS is two messages under the
 * frequency cap and the playbook's weekly limit.
 */

/** A window shorter than this cannot carry a batch send; shorter send hours shorten it. */
export const MIN_WINDOW_MINUTES = 30;

interface Touch {
  index: number;
  day: number;
  messages: number;
}

export function validatePlan(input: PlanningInput, plan: CampaignPlan): PlanError[] {
  const errors: PlanError[] = [];
  const { campaign, rules } = input;
  const windowDays = campaign.windowDays;
  const firstDay = dayNumber(campaign.startsOn);
  const sendStart = clockMinutes(rules.sendHours.start)!;
  const sendEnd = clockMinutes(rules.sendHours.end)!;
  const minWindow = Math.min(MIN_WINDOW_MINUTES, sendEnd - sendStart);
  const audience = new Map(input.customers.map((c) => [c.customerId, c]));

  const themeDays = new Set<number>();
  plan.themes.forEach((theme, i) => {
    const at = { path: `themes[${i}]`, day: theme.day };
    if (!inWindow(theme.day, windowDays)) {
      errors.push({ ...at, rule: 'theme_day_outside_window', message: `day must be 0–${windowDays - 1}` });
    } else if (themeDays.has(theme.day)) {
      errors.push({ ...at, rule: 'duplicate_theme', message: 'one theme per day' });
    }
    themeDays.add(theme.day);
  });

  const touches = new Map<string, Touch[]>();
  plan.actions.forEach((action, index) => {
    const customer = audience.get(action.customerId);
    const at = { path: `actions[${index}]`, customerId: action.customerId, alias: customer?.alias, day: action.day };
    const fail = (rule: PlanRule, message: string, field?: string) =>
      errors.push({ ...at, path: field ? `${at.path}.${field}` : at.path, rule, message });
    if (!customer) {
      fail('unknown_customer', 'not a customer in this campaign’s audience', 'customerId');
      return;
    }
    const playbook = input.playbooks[customer.segment];
    if (!playbook) fail('no_playbook', `segment ${customer.segment} has no playbook`);

    const dayOk = inWindow(action.day, windowDays);
    if (!dayOk) {
      fail('day_outside_window', `day must be 0–${windowDays - 1}`, 'day');
    } else if (action.scheduledOn !== isoDateOf(firstDay + action.day)) {
      fail('scheduled_on_mismatch', `day ${action.day} is ${isoDateOf(firstDay + action.day)}`, 'scheduledOn');
    }

    if (action.channels.length === 0 || new Set(action.channels).size !== action.channels.length) {
      fail('channels_malformed', 'list each channel once, at least one', 'channels');
    }
    for (const channel of new Set(action.channels)) {
      if (!campaign.channels.includes(channel)) {
        fail('channel_not_allowed', `the campaign does not use ${channel}`, 'channels');
      } else if (!customer.consent[channel]) {
        fail('channel_not_consented', `no ${channel} consent`, 'channels');
      } else if (playbook && !playbook.limits.channels.includes(channel)) {
        fail('channel_not_in_playbook', `segment ${customer.segment} may not get ${channel}`, 'channels');
      }
    }

    if (playbook) {
      const problem = offerProblem(action.offer, playbook);
      if (problem) fail(problem.rule, problem.message, 'offer');
    }

    const start = clockMinutes(action.window.start);
    const end = clockMinutes(action.window.end);
    if (start === undefined || end === undefined || end - start < minWindow) {
      fail('window_malformed', `start and end as HH:MM, at least ${minWindow} minutes apart`, 'window');
    } else if (start < sendStart || end > sendEnd) {
      fail(
        'window_outside_send_hours',
        `must lie within the send hours ${rules.sendHours.start}–${rules.sendHours.end}`,
        'window',
      );
    }

    if (dayOk && playbook) {
      const list = touches.get(customer.customerId) ?? [];
      list.push({ index, day: action.day, messages: Math.max(1, new Set(action.channels).size) });
      touches.set(customer.customerId, list);
    }
  });

  for (const [customerId, list] of touches) {
    const customer = audience.get(customerId)!;
    checkCustomerLoad(input, customer, list, errors);
  }
  return errors;
}

/** One action a day, the frequency cap across campaigns, the playbook's weekly limit. */
function checkCustomerLoad(input: PlanningInput, customer: PlanningCustomer, list: Touch[], errors: PlanError[]) {
  const { windowDays } = input.campaign;
  const cap = input.rules.frequencyCap;
  const weekly = input.playbooks[customer.segment]!.limits.maxMessagesPerWeek;
  const base = { customerId: customer.customerId, alias: customer.alias };

  const perDay = new Array<number>(windowDays).fill(0);
  const lastOnDay = new Array<number>(windowDays).fill(-1);
  for (const touch of list) {
    if (lastOnDay[touch.day]! >= 0) {
      errors.push({
        ...base,
        path: `actions[${touch.index}]`,
        day: touch.day,
        rule: 'one_action_per_day',
        message: `a second action on day ${touch.day}`,
      });
    }
    perDay[touch.day]! += touch.messages;
    lastOnDay[touch.day] = touch.index;
  }
  if (list.length === 1) {
    // The common case: one action, checked without the rolling sums.
    const only = list[0]!;
    const counted = recentMessagesCounted(customer.recentMarketingMessages, input.rules, only.day);
    if (counted + only.messages > cap.max) pushCap(errors, base, only, counted, cap);
    if (only.messages > weekly) pushWeekly(errors, base, only, only.messages, weekly);
    return;
  }

  let capReported = false;
  let weeklyReported = false;
  for (let day = 0; day < windowDays && !(capReported && weeklyReported); day++) {
    const planned = sumDays(perDay, day - cap.days + 1, day);
    const counted = recentMessagesCounted(customer.recentMarketingMessages, input.rules, day);
    const latest = latestTouch(list, day);
    if (!capReported && latest && planned > 0 && counted + planned > cap.max) {
      pushCap(errors, base, latest, counted, cap, planned);
      capReported = true;
    }
    const thisWeek = sumDays(perDay, day - 6, day);
    if (!weeklyReported && latest && thisWeek > weekly) {
      pushWeekly(errors, base, latest, thisWeek, weekly);
      weeklyReported = true;
    }
  }
}

function pushCap(
  errors: PlanError[],
  base: { customerId: string; alias: string },
  touch: Touch,
  counted: number,
  cap: { max: number; days: number },
  planned = touch.messages,
) {
  errors.push({
    ...base,
    path: `actions[${touch.index}]`,
    day: touch.day,
    rule: 'frequency_cap',
    message:
      `${counted} earlier + ${planned} planned messages exceed the cap of ${cap.max} per ${cap.days} days ` +
      `(earlier messages count until day ${cap.days - 1})`,
  });
}

function pushWeekly(
  errors: PlanError[],
  base: { customerId: string; alias: string },
  touch: Touch,
  planned: number,
  weekly: number,
) {
  errors.push({
    ...base,
    path: `actions[${touch.index}]`,
    day: touch.day,
    rule: 'playbook_weekly_limit',
    message: `${planned} messages in 7 days; the segment's playbook allows ${weekly}`,
  });
}

/** Why an offer does not fit the playbook, or undefined when it does. */
export function offerProblem(offer: PlanOffer, playbook: Playbook): { rule: PlanRule; message: string } | undefined {
  const pct = offer.discountPct ?? 0;
  if (pct > playbook.limits.maxDiscountPct) {
    return {
      rule: 'discount_out_of_bounds',
      message: `${pct}% is above the segment's maximum discount of ${playbook.limits.maxDiscountPct}%`,
    };
  }
  const byKey = playbook.offers.find((o) => o.key === offer.key);
  const candidates = byKey ? [byKey] : playbook.offers.filter((o) => o.kind === offer.kind);
  if (candidates.length === 0 || (byKey && byKey.kind !== offer.kind)) {
    return { rule: 'offer_not_in_playbook', message: `use one of ${playbook.offers.map(describeOffer).join(', ')}` };
  }
  if (candidates.some((o) => pct >= (o.minDiscountPct ?? 0) && pct <= (o.maxDiscountPct ?? 0))) return undefined;
  return {
    rule: 'discount_out_of_bounds',
    message: `${pct}% does not fit ${candidates.map(describeOffer).join(' or ')}`,
  };
}

export function describeOffer(offer: Offer): string {
  const max = offer.maxDiscountPct ?? 0;
  if (max === 0) return `${offer.key} (${offer.kind}, no discount)`;
  return `${offer.key} (${offer.kind} ${offer.minDiscountPct ?? 0}–${max}%)`;
}

function inWindow(day: number, windowDays: number): boolean {
  return Number.isInteger(day) && day >= 0 && day < windowDays;
}

function sumDays(perDay: number[], from: number, to: number): number {
  let sum = 0;
  for (let d = Math.max(0, from); d <= to; d++) sum += perDay[d]!;
  return sum;
}

function latestTouch(list: Touch[], day: number): Touch | undefined {
  let latest: Touch | undefined;
  for (const t of list) if (t.day <= day && (!latest || t.day >= latest.day)) latest = t;
  return latest;
}
