import { planDeterministic } from '../../domain/planning/deterministic.ts';
import type { CampaignPlanner, PlanningInput, PlanResult } from '../../domain/planning/types.ts';
import type { Config } from '../../platform/config.ts';
import { createLlmPlanner } from './llm-planner.ts';

/** The SDK's own default: enough to ride out a short rate limit without stalling a campaign. */
export const DEFAULT_MAX_RETRIES = 2;

export type PlannerSettings = Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_MODEL' | 'OPENAI_TIMEOUT_MS'>;

/** The LLM planner when an API key is configured, otherwise the deterministic one, saying why. */
export function createPlanner(settings: PlannerSettings, maxRetries = DEFAULT_MAX_RETRIES): CampaignPlanner {
  if (!settings.OPENAI_API_KEY) return createDeterministicPlanner('no OPENAI_API_KEY');
  return createLlmPlanner({
    apiKey: settings.OPENAI_API_KEY,
    baseURL: settings.OPENAI_BASE_URL,
    model: settings.OPENAI_MODEL,
    timeoutMs: settings.OPENAI_TIMEOUT_MS,
    maxRetries,
  });
}

export function createDeterministicPlanner(reason?: string): CampaignPlanner {
  return {
    planner: 'deterministic',
    reason,
    async planCampaign(input: PlanningInput): Promise<PlanResult> {
      const started = performance.now();
      const { plan, skipped } = planDeterministic(input);
      return {
        plan,
        record: {
          planner: 'deterministic',
          latencyMs: Math.round(performance.now() - started),
          repairs: 0,
          validationErrors: [],
          validationErrorCount: 0,
          skipped,
          ...(reason === undefined ? {} : { fallbackReason: reason }),
        },
      };
    },
  };
}
