import type { Channel, PlanAction } from './types.ts';

/**
 * Editing a plan before approval: the marketer changes an action's offer, day or channels, or
 * removes it; the page checks each change against what the API will check (the campaign's
 * days and channels, the segment playbook's offers and discount limit) so mistakes show next to
 * the action, then sends only what changed. The workflow validates the whole plan again and may
 * still refuse; its reasons are put back next to the actions they name.
 */

export interface PlaybookOffer {
  key: string;
  label: string;
  kind: string;
  minDiscountPct?: number;
  maxDiscountPct?: number;
}
export interface PlaybookView {
  offers: PlaybookOffer[];
  limits: { maxDiscountPct: number; channels: Channel[] };
}

export interface ActionDraft {
  remove: boolean;
  day: number;
  channels: Channel[];
  offerKey: string;
  discountPct: number | undefined;
}

export interface EditContext {
  windowDays: number;
  channels: Channel[];
  playbooks: Record<string, PlaybookView | undefined>;
}

export type ActionEdit =
  | { op: 'remove'; actionId: string }
  | { op: 'change'; actionId: string; day?: number; channels?: Channel[]; offerKey?: string; discountPct?: number };

export type DraftErrors = Partial<Record<'day' | 'channels' | 'offerKey' | 'discountPct', string>>;

export function draftOf(a: PlanAction): ActionDraft {
  return {
    remove: false,
    day: a.day,
    channels: [...a.channels],
    offerKey: a.offer.key,
    discountPct: a.offer.discountPct,
  };
}

export function offersFor(a: PlanAction, ctx: EditContext): PlaybookOffer[] {
  const offers = (a.segment && ctx.playbooks[a.segment]?.offers) || [];
  // The planned offer stays selectable even if the playbook changed since.
  return offers.some((o) => o.key === a.offer.key) ? offers : [{ ...a.offer }, ...offers];
}

export function validateDraft(a: PlanAction, d: ActionDraft, ctx: EditContext): DraftErrors {
  const errors: DraftErrors = {};
  if (d.remove) return errors;
  if (!Number.isInteger(d.day) || d.day < 0 || d.day >= ctx.windowDays) {
    errors.day = `Pick a day from 1 to ${ctx.windowDays}.`;
  }
  if (d.channels.length === 0) errors.channels = 'Pick at least one channel.';
  else {
    const outside = d.channels.filter((c) => !ctx.channels.includes(c));
    if (outside.length) errors.channels = `This campaign does not send by ${outside.join(', ')}.`;
  }
  const playbook = a.segment ? ctx.playbooks[a.segment] : undefined;
  const offer = playbook?.offers.find((o) => o.key === d.offerKey);
  if (playbook && !offer && d.offerKey !== a.offer.key) {
    errors.offerKey = "This offer is not in the customer's segment playbook.";
  }
  if (d.discountPct !== undefined) {
    const max = Math.min(offer?.maxDiscountPct ?? playbook?.limits.maxDiscountPct ?? 50, 50);
    const min = offer?.minDiscountPct ?? 0;
    if (!Number.isFinite(d.discountPct) || d.discountPct < min || d.discountPct > max) {
      errors.discountPct = `The discount must be between ${min} % and ${max} %.`;
    }
  }
  return errors;
}

const sameChannels = (a: Channel[], b: Channel[]) => a.length === b.length && a.every((c) => b.includes(c));

/** The edits that turn the plan into the drafts: one per changed or removed action. */
export function editsFrom(actions: PlanAction[], drafts: Record<string, ActionDraft>): ActionEdit[] {
  const edits: ActionEdit[] = [];
  for (const a of actions) {
    const d = drafts[a.id];
    if (!d) continue;
    if (d.remove) {
      edits.push({ op: 'remove', actionId: a.id });
      continue;
    }
    const change: Extract<ActionEdit, { op: 'change' }> = { op: 'change', actionId: a.id };
    if (d.day !== a.day) change.day = d.day;
    if (!sameChannels(d.channels, a.channels)) change.channels = d.channels;
    if (d.offerKey !== a.offer.key) change.offerKey = d.offerKey;
    if (d.discountPct !== a.offer.discountPct && d.discountPct !== undefined) change.discountPct = d.discountPct;
    if (Object.keys(change).length > 2) edits.push(change);
  }
  return edits;
}

/**
 * The API's reasons (problem+json `errors`) for refusing edits, placed next to the action each
 * one names; the rest concern the plan as a whole.
 */
export function placeErrors(
  errors: { path: string; message: string }[],
  actionIds: string[],
): { byAction: Record<string, string[]>; general: string[] } {
  const byAction: Record<string, string[]> = {};
  const general: string[] = [];
  for (const e of errors) {
    const id = actionIds.find((a) => e.message.includes(a));
    if (id) (byAction[id] ??= []).push(e.message.replace(`action ${id}`, 'this action').replace(id, 'this action'));
    else general.push(e.message);
  }
  return { byAction, general };
}
