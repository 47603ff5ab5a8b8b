import { asDeterministic, deterministicCopy } from '../../domain/planning/copy.ts';
import { planDeterministic } from '../../domain/planning/deterministic.ts';
import type { CampaignPlanner, PlannerSummary, PlanningInput, PlanResult } from '../../domain/planning/types.ts';
import type { Config } from '../../platform/config.ts';
import { createLlmPlanner } from './llm-planner.ts';

/** The SDK's own default: enough to ride out a short rate limit without stalling a campaign. */
export const DEFAULT_MAX_RETRIES = 2;

export type PlannerSettings = Pick<
  Config,
  'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_MODEL' | 'OPENAI_TIMEOUT_MS'
> &
  /** The store the model writes message copy for; without it the copy is the deterministic one. */
  Partial<Pick<Config, 'STORE_NAME'>>;

/** Which planner these settings give, and why, without building it (no network calls). */
export function plannerSummary(settings: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_MODEL'>): PlannerSummary {
  return settings.OPENAI_API_KEY
    ? { planner: 'llm', model: settings.OPENAI_MODEL }
    : { planner: 'deterministic', reason: 'no OPENAI_API_KEY' };
}

/** The LLM planner when an API key is configured, otherwise the deterministic one, saying why. */
export function createPlanner(settings: PlannerSettings, maxRetries = DEFAULT_MAX_RETRIES): CampaignPlanner {
  const summary = plannerSummary(settings);
  if (summary.planner === 'deterministic') return createDeterministicPlanner(summary.reason);
  return createLlmPlanner({
    apiKey: settings.OPENAI_API_KEY!,
    baseURL: settings.OPENAI_BASE_URL,
    model: settings.OPENAI_MODEL,
    timeoutMs: settings.OPENAI_TIMEOUT_MS,
    maxRetries,
    ...(settings.STORE_NAME === undefined ? {} : { copy: { storeName: settings.STORE_NAME } }),
  });
}

export function createDeterministicPlanner(reason?: string): CampaignPlanner {
  return {
    planner: 'deterministic',
    reason,
    async planCampaign(input: PlanningInput): Promise<PlanResult> {
      const started = performance.now();
      const { plan, skipped } = planDeterministic(input);
      const copy = asDeterministic(deterministicCopy(input, plan));
      return {
        plan,
        copy,
        record: {
          planner: 'deterministic',
          latencyMs: Math.round(performance.now() - started),
          repairs: 0,
          validationErrors: [],
          validationErrorCount: 0,
          skipped,
          ...(reason === undefined ? {} : { fallbackReason: reason }),
          copy: { drafted: 'deterministic', rejected: [] },
        },
      };
    },
  };
}
