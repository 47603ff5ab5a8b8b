import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ResponseFormatJSONSchema } from 'openai/resources/shared';
import type { z } from 'zod';
import { asDeterministic, deterministicCopy, planSegments, settleDraftedCopy } from '../../domain/planning/copy.ts';
import { planDeterministic } from '../../domain/planning/deterministic.ts';
import { copyPrompt, modelCopySchema } from '../../domain/planning/llm-copy.ts';
import { buildLlmContext, type LlmContext, type LlmContextOptions } from '../../domain/planning/llm-context.ts';
import {
  errorsForModel,
  expandModelPlan,
  modelPlanSchema,
  repairPrompt,
  type ModelPlan,
} from '../../domain/planning/llm-plan.ts';
import {
  MAX_RECORDED_ERRORS,
  type CampaignPlan,
  type CampaignPlanner,
  type CopyRecord,
  type PlanCampaignOptions,
  type PlannedCopy,
  type PlanError,
  type PlanningInput,
  type PlanRecord,
  type PlanResult,
  type SkippedCustomers,
} from '../../domain/planning/types.ts';
import { validatePlan } from '../../domain/planning/validate.ts';

/**
 * The AI campaign planner: OpenAI Chat Completions with a strict JSON schema. The model's plan is
 * translated back from aliases and validated; an invalid plan gets one repair round with the
 * errors; anything else that goes wrong with the model — timeout, rate limit or server error
 * after the SDK's retries, malformed output, a refusal, a plan still invalid after the repair —
 * ends in the deterministic planner's plan, with the reason recorded. Problems with the model
 * never throw.
 *
 * With `copy`, an accepted plan is followed by a second, small call for the message copy of
 * each segment it reaches (domain/planning/llm-copy.ts). Each segment's draft is checked like a
 * marketer's edit; a refused draft, or a failed call, gets the deterministic copy instead, and
 * the record says which and why.
 */

export interface LlmPlannerOptions {
  apiKey: string;
  /** An OpenAI-compatible endpoint (a proxy, a local model server, a test stub). */
  baseURL?: string;
  model: string;
  timeoutMs: number;
  /** Retries of the SDK itself (with its backoff and Retry-After) on 408/409/429/5xx and timeouts. */
  maxRetries: number;
  context?: LlmContextOptions;
  /** Ask the model for each segment's message copy too, written for this store. */
  copy?: { storeName: string };
}

/**
 * List prices in USD per million tokens (input, output), from openai.com/api/pricing. Dated
 * snapshots (gpt-4o-mini-2024-07-18) are priced as their model; other models get no estimate.
 */
export const PRICES_PER_MILLION_TOKENS: Readonly<Record<string, { input: number; output: number }>> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
};

export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number): number | undefined {
  const price = PRICES_PER_MILLION_TOKENS[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
  if (!price) return undefined;
  return Math.round(promptTokens * price.input + completionTokens * price.output) / 1e6;
}

type Answer<T> = { ok: true; content: string; value: T } | { ok: false; reason: string };

const MAX_REASON = 500;

export function createLlmPlanner(options: LlmPlannerOptions): CampaignPlanner {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
  const responseFormat = zodResponseFormat(modelPlanSchema, 'campaign_plan');
  const copyFormat = zodResponseFormat(modelCopySchema, 'campaign_copy');

  async function planCampaign(input: PlanningInput, { signal }: PlanCampaignOptions = {}): Promise<PlanResult> {
    const started = performance.now();
    const tokens = { prompt: 0, completion: 0, reported: false };
    let context: LlmContext | undefined;
    let firstErrors: PlanError[] = [];
    let repairs = 0;

    const complete = async <T>(
      messages: ChatCompletionMessageParam[],
      format: ResponseFormatJSONSchema,
      schema: z.ZodType<T>,
      what: string,
    ): Promise<Answer<T>> => {
      const completion = await client.chat.completions.create(
        { model: options.model, messages, response_format: format },
        { signal },
      );
      if (completion.usage) {
        tokens.prompt += completion.usage.prompt_tokens;
        tokens.completion += completion.usage.completion_tokens;
        tokens.reported = true;
      }
      return readAnswer(completion, schema, what);
    };
    const ask = (messages: ChatCompletionMessageParam[]) => complete(messages, responseFormat, modelPlanSchema, 'plan');

    const draftCopy = async (plan: CampaignPlan): Promise<{ copy: PlannedCopy[]; record: CopyRecord }> => {
      const ours = deterministicCopy(input, plan);
      if (!options.copy || ours.length === 0) {
        return { copy: asDeterministic(ours), record: { drafted: 'deterministic', rejected: [] } };
      }
      const { storeName } = options.copy;
      const refused = (reason: string) => ({
        copy: asDeterministic(ours),
        record: { drafted: 'llm' as const, fallbackReason: reason.slice(0, MAX_REASON), rejected: [] },
      });
      const prompt = copyPrompt(input, planSegments(input, plan), storeName);
      let answer: Answer<z.infer<typeof modelCopySchema>>;
      try {
        answer = await complete(
          [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
          copyFormat,
          modelCopySchema,
          'copy',
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        return refused(describeFailure(err, options));
      }
      if (!answer.ok) return refused(answer.reason);
      const settled = await settleDraftedCopy(answer.value.copy, ours, { storeName });
      return { copy: settled.copy, record: { drafted: 'llm', rejected: settled.rejected } };
    };

    const record = (
      planner: PlanRecord['planner'],
      skipped: SkippedCustomers,
      fallbackReason?: string,
    ): PlanRecord => ({
      planner,
      model: options.model,
      ...(tokens.reported
        ? {
            promptTokens: tokens.prompt,
            completionTokens: tokens.completion,
            costEstimateUsd: estimateCostUsd(options.model, tokens.prompt, tokens.completion),
          }
        : {}),
      latencyMs: Math.round(performance.now() - started),
      repairs,
      validationErrors: firstErrors.slice(0, MAX_RECORDED_ERRORS),
      validationErrorCount: firstErrors.length,
      ...(fallbackReason === undefined ? {} : { fallbackReason: fallbackReason.slice(0, MAX_REASON) }),
      skipped,
      ...(context ? { context: { mode: context.mode, rows: context.rows, characters: context.characters } } : {}),
    });

    // The model is not asked for copy of a plan it did not make: the call that failed may well fail again.
    const fallback = (reason: string): PlanResult => {
      const { plan, skipped } = planDeterministic(input);
      return {
        plan,
        copy: asDeterministic(deterministicCopy(input, plan)),
        record: { ...record('deterministic', skipped, reason), copy: { drafted: 'deterministic', rejected: [] } },
      };
    };

    const accept = async (plan: CampaignPlan, ctx: LlmContext): Promise<PlanResult> => {
      const copy = await draftCopy(plan);
      return { plan, copy: copy.copy, record: { ...record('llm', skippedByModel(plan, ctx)), copy: copy.record } };
    };

    try {
      context = buildLlmContext(input, options.context);
      const ctx = context;
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: ctx.system },
        { role: 'user', content: ctx.user },
      ];
      const first = await ask(messages);
      if (!first.ok) return fallback(first.reason);
      const checked = check(first.value, input, ctx);
      if (checked.errors.length === 0) return await accept(checked.plan, ctx);

      firstErrors = checked.errors;
      repairs = 1;
      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: repairPrompt(firstErrors) },
      );
      const second = await ask(messages);
      if (!second.ok) return fallback(`repair round: ${second.reason}`);
      const repaired = check(second.value, input, ctx);
      if (repaired.errors.length === 0) return await accept(repaired.plan, ctx);
      const examples = repaired.errors
        .slice(0, 3)
        .map((e) => `${e.rule} at ${e.path}`)
        .join('; ');
      return fallback(`the repaired plan still breaks ${repaired.errors.length} rule(s): ${examples}`);
    } catch (err) {
      // A cancelled activity wants to stop, not to get a plan.
      if (signal?.aborted) throw err;
      return fallback(describeFailure(err, options));
    }
  }

  return { planner: 'llm', planCampaign };
}

function readAnswer<T>(completion: OpenAI.ChatCompletion, schema: z.ZodType<T>, what: string): Answer<T> {
  const choice = completion.choices[0];
  if (!choice) return { ok: false, reason: 'malformed response: no choices' };
  if (choice.message.refusal) return { ok: false, reason: `refusal: ${choice.message.refusal}` };
  if (choice.finish_reason === 'content_filter') return { ok: false, reason: 'refusal: stopped by the content filter' };
  if (choice.finish_reason === 'length') {
    return { ok: false, reason: 'malformed response: cut off at the output token limit' };
  }
  const content = choice.message.content;
  if (!content) return { ok: false, reason: 'malformed response: no content' };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `malformed ${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { ok: true, content, value: parsed.data };
}

/** The model's plan in our terms, with every error restated in the model's terms. */
function check(model: ModelPlan, input: PlanningInput, context: LlmContext) {
  const expansion = expandModelPlan(model, input, context);
  const errors = [...expansion.errors, ...errorsForModel(validatePlan(input, expansion.plan), expansion, context)];
  return { plan: expansion.plan, errors };
}

function skippedByModel(plan: CampaignPlan, context: LlmContext): SkippedCustomers {
  const planned = new Set(plan.actions.map((a) => a.customerId));
  let notPlanned = 0;
  for (const members of context.targets.values()) {
    for (const m of members) if (!planned.has(m.ranked.customer.customerId)) notPlanned++;
  }
  const byReason = { ...context.skipped.byReason };
  if (notPlanned > 0) byReason.not_planned_by_model = notPlanned;
  return { total: context.skipped.total + notPlanned, byReason };
}

function describeFailure(err: unknown, options: LlmPlannerOptions): string {
  const retries = `after ${options.maxRetries} ${options.maxRetries === 1 ? 'retry' : 'retries'}`;
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return `timeout: no answer within ${options.timeoutMs} ms ${retries}`;
  if (err instanceof OpenAI.RateLimitError) return `rate limited (429) ${retries}: ${err.message}`;
  if (err instanceof OpenAI.InternalServerError) return `server error (${err.status}) ${retries}: ${err.message}`;
  if (err instanceof OpenAI.APIConnectionError) return `connection failed ${retries}: ${err.message}`;
  if (err instanceof OpenAI.APIError) return `OpenAI error (${err.status ?? 'no status'}): ${err.message}`;
  return `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}
