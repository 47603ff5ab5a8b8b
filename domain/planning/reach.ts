import type { Playbook } from '../segments/playbooks.ts';
import type { Channel, PlanningCustomer, PlanningInput, PlanningRules, SkipReason } from './types.ts';

/**
 * Whether and how a customer can be reached by a campaign at all, before any day is chosen:
 * the channels the campaign allows, the customer consented to and their segment's playbook
 * permits, and room under the frequency cap on at least one day of the window.
 */

export interface Reach {
  playbook: Playbook;
  /** In the campaign's order of channels. */
  channels: Channel[];
  /** The first day (0-based) on which one more message keeps them under the frequency cap; later days do too. */
  firstOpenDay: number;
}

export function reachOf(customer: PlanningCustomer, input: PlanningInput): Reach | SkipReason {
  const playbook = input.playbooks[customer.segment];
  if (!playbook) return 'no_playbook';
  if (playbook.limits.maxMessagesPerWeek < 1) return 'playbook_allows_no_messages';
  const channels = input.campaign.channels.filter(
    (ch) => customer.consent[ch] && playbook.limits.channels.includes(ch),
  );
  if (channels.length === 0) return 'no_consented_channel';
  const firstOpenDay = firstDayUnderCap(customer.recentMarketingMessages, input.rules, input.campaign.windowDays);
  if (firstOpenDay === undefined) return 'frequency_cap';
  return { playbook, channels, firstOpenDay };
}

/**
 * Messages from before the campaign that still count against the cap on campaign day `day`.
 * The count is of the cap's window before day 0, when exactly is unknown, so every one of them
 * is assumed to have been sent the day before the campaign: the latest, hence safest, guess.
 * A message sent on day −1 drops out of the rolling window from day `days − 1` on.
 */
export function recentMessagesCounted(recent: number, rules: PlanningRules, day: number): number {
  return day <= rules.frequencyCap.days - 2 ? recent : 0;
}

function firstDayUnderCap(recent: number, rules: PlanningRules, windowDays: number): number | undefined {
  for (let day = 0; day < windowDays; day++) {
    if (recentMessagesCounted(recent, rules, day) + 1 <= rules.frequencyCap.max) return day;
  }
  return undefined;
}
