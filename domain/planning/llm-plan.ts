import { z } from 'zod';
import { offerKinds } from '../segments/playbooks.ts';
import { addDays } from './calendar.ts';
import { campaignThemes } from './deterministic.ts';
import type { LlmContext, PlanTarget } from './llm-context.ts';
import { CHANNELS, type CampaignPlan, type PlanError, type PlannedAction, type PlanningInput } from './types.ts';

/**
 * The plan as the LLM writes it, and its translation into a CampaignPlan. The model's actions
 * name aliases (customers or cohorts, see llm-context.ts) and may cover several at once, which
 * keeps 300 customers' plan well inside a model's output limit. Everything the model need not
 * decide — customer ids, dates, priorities — is filled in here.
 *
 * The schema is sent as an OpenAI strict JSON schema: every field required, no optional ones
 * (`discountPct` is null for offers without a discount).
 */
// Days are bounded by the largest window, not this campaign's: a day past it must reach
// validation and come back as an error the model can repair, not fail the parse.
const day = z.number().int().min(0).max(30);

export const modelPlanSchema = z.object({
  themes: z.array(z.object({ day, theme: z.string() })),
  actions: z.array(
    z.object({
      customers: z.array(z.string()),
      day,
      window: z.object({ start: z.string(), end: z.string() }),
      channels: z.array(z.enum(CHANNELS)),
      offer: z.object({
        key: z.string(),
        kind: z.enum(offerKinds),
        label: z.string(),
        discountPct: z.number().nullable(),
      }),
      brief: z.string(),
      rationale: z.string(),
    }),
  ),
});

export type ModelPlan = z.infer<typeof modelPlanSchema>;

export interface Expansion {
  plan: CampaignPlan;
  /** Problems found while translating: aliases the model made up. */
  errors: PlanError[];
  /** For each action of the plan, the index of the model's action it came from. */
  source: number[];
}

const MAX_TEXT = 2_000;

export function expandModelPlan(model: ModelPlan, input: PlanningInput, context: LlmContext): Expansion {
  const { startsOn, windowDays } = input.campaign;
  const errors: PlanError[] = [];
  const actions: PlannedAction[] = [];
  const source: number[] = [];

  // Cohort shares: which of the actions naming a cohort this is, and how many there are.
  const appearances = new Map<string, number[]>();
  if (context.mode === 'cohorts') {
    model.actions.forEach((action, g) => {
      for (const alias of new Set(action.customers)) {
        const list = appearances.get(alias) ?? [];
        list.push(g);
        appearances.set(alias, list);
      }
    });
  }

  model.actions.forEach((action, g) => {
    const seen = new Set<string>();
    action.customers.forEach((alias, j) => {
      if (seen.has(alias)) return;
      seen.add(alias);
      const targets = context.targets.get(alias);
      if (!targets) {
        errors.push({
          path: `actions[${g}].customers[${j}]`,
          alias,
          day: action.day,
          rule: 'unknown_customer',
          message: `${alias} is not in the audience`,
        });
        return;
      }
      const members = context.mode === 'customers' ? targets : shareOf(targets, appearances.get(alias)!, g);
      for (const member of members) {
        // A cohort member still under the cap is moved to the first day with room.
        const day = context.mode === 'cohorts' ? Math.max(action.day, member.firstOpenDay) : action.day;
        actions.push(toAction(action, member, day, startsOn, windowDays));
        source.push(g);
      }
    });
  });

  const planned = new Set<number>();
  const themes = model.themes
    .filter((t) => t.theme.trim() !== '')
    .map((t) => {
      planned.add(t.day);
      return { day: t.day, theme: t.theme.trim().slice(0, 300) };
    });
  // A day the model gave no theme gets the heuristic's, so every day has one.
  campaignThemes(input.campaign.type, windowDays).forEach((theme, day) => {
    if (!planned.has(day)) themes.push({ day, theme });
  });
  return { plan: { themes, actions }, errors, source };
}

function shareOf(members: PlanTarget[], groups: number[], group: number): PlanTarget[] {
  const k = groups.indexOf(group);
  const from = Math.floor((k * members.length) / groups.length);
  const to = Math.floor(((k + 1) * members.length) / groups.length);
  return members.slice(from, to);
}

function toAction(
  action: ModelPlan['actions'][number],
  member: PlanTarget,
  day: number,
  startsOn: string,
  windowDays: number,
): PlannedAction {
  const { offer } = action;
  return {
    customerId: member.ranked.customer.customerId,
    day,
    // An out-of-window day keeps an empty date; validation reports the day itself.
    scheduledOn: Number.isInteger(day) && day >= 0 && day < windowDays ? addDays(startsOn, day) : '',
    window: { start: action.window.start, end: action.window.end },
    channels: [...action.channels],
    offer: {
      key: offer.key.slice(0, 60),
      label: offer.label.slice(0, 200),
      kind: offer.kind,
      ...(offer.discountPct === null || offer.discountPct === 0 ? {} : { discountPct: offer.discountPct }),
    },
    brief: action.brief.slice(0, MAX_TEXT),
    rationale: action.rationale.slice(0, MAX_TEXT),
    priority: member.ranked.priority,
  };
}

/**
 * Validation errors restated in the model's terms: the index of its own action and the alias it
 * used (a cohort's, in cohort mode), without customer ids. Errors that differ only in which
 * cohort member they hit are reported once.
 */
export function errorsForModel(errors: PlanError[], expansion: Expansion, context: LlmContext): PlanError[] {
  const out: PlanError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const m = /^actions\[(\d+)\](.*)$/.exec(e.path);
    const path = m && !e.path.includes('.customers[') ? `actions[${expansion.source[Number(m[1])]}]${m[2]}` : e.path;
    const alias = e.customerId === undefined ? e.alias : (context.aliasOf.get(e.customerId) ?? e.alias);
    const key = `${path}|${alias}|${e.rule}|${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const restated: PlanError = { path, rule: e.rule, message: e.message };
    if (alias !== undefined) restated.alias = alias;
    if (e.day !== undefined) restated.day = e.day;
    out.push(restated);
  }
  return out;
}

export const MAX_ERRORS_IN_REPAIR = 60;

/** The repair request: what was wrong, in a form the model can act on. */
export function repairPrompt(errors: PlanError[]): string {
  const shown = errors.slice(0, MAX_ERRORS_IN_REPAIR);
  const lines = shown.map((e) => {
    const who = [e.alias, e.day === undefined ? undefined : `day ${e.day}`].filter(Boolean).join(', ');
    return `- ${e.path}${who ? ` (${who})` : ''}: ${e.rule} — ${e.message}`;
  });
  const more = errors.length > shown.length ? ` (the first ${shown.length} are listed)` : '';
  return [
    `The plan was rejected: ${errors.length} rule violation(s)${more}.`,
    ...lines,
    '',
    'Return the complete corrected plan in the same format. Fix every listed problem (move or drop the',
    'customers concerned, change the channel, offer, day or window) and keep everything that was right.',
  ].join('\n');
}
