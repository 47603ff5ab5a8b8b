import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { rateLimited, serverError, startOpenAiStub, type OpenAiStub } from '../../bench/stubs/openai-stub.ts';
import { planDeterministic } from '../../domain/planning/deterministic.ts';
import { asModelPlan, planningCustomer, planningInput } from '../../domain/planning/fixtures.ts';
import type { ModelPlan } from '../../domain/planning/llm-plan.ts';
import type { PlanningInput } from '../../domain/planning/types.ts';
import { validatePlan } from '../../domain/planning/validate.ts';
import { createLlmPlanner, estimateCostUsd, type LlmPlannerOptions } from './llm-planner.ts';
import { createPlanner } from './planner.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

let stub: OpenAiStub;
beforeEach(async () => {
  stub = await startOpenAiStub();
});
afterEach(async () => {
  await stub.close();
});

function planner(overrides: Partial<LlmPlannerOptions> = {}) {
  return createLlmPlanner({
    apiKey: 'sk-test-planner',
    baseURL: stub.baseURL,
    model: 'gpt-4o-mini',
    timeoutMs: 5_000,
    maxRetries: 0,
    ...overrides,
  });
}

/** Twelve customers: some without SMS consent, one night buyer, two segments. */
function smallInput(): PlanningInput {
  return planningInput(
    Array.from({ length: 12 }, (_, i) =>
      planningCustomer(i + 1, {
        segment: i % 3 === 0 ? 'cant_lose' : 'at_risk',
        consent: { email: true, sms: i % 2 === 0 },
        isNightBuyer: i === 4,
        clv: 50 + 37 * ((i * 7) % 12),
      }),
    ),
  );
}

function validModelPlan(input: PlanningInput): ModelPlan {
  return asModelPlan(planDeterministic(input).plan, input);
}

/** The same plan with SMS for a customer who never consented to it. */
function withSmsWithoutConsent(input: PlanningInput): { model: ModelPlan; alias: string } {
  const model = validModelPlan(input);
  const noSms = input.customers.find((c) => !c.consent.sms)!;
  const action = model.actions.find((a) => a.customers[0] === noSms.alias)!;
  action.channels = ['sms'];
  return { model, alias: noSms.alias };
}

function expectNothingPersonalSent(input: PlanningInput) {
  expect(stub.requests.length).toBeGreaterThan(0);
  for (const request of stub.requests) {
    expect(request.raw).not.toMatch(UUID);
    for (const c of input.customers) expect(request.raw).not.toContain(c.customerId);
  }
}

describe('LLM planner against the OpenAI stub', () => {
  it('plans with structured output, maps aliases back and records tokens, latency and cost', async () => {
    const input = smallInput();
    stub.enqueue({
      kind: 'plan',
      plan: validModelPlan(input),
      usage: { prompt_tokens: 1_200, completion_tokens: 800 },
    });
    const { plan, record } = await planner().planCampaign(input);

    expect(record).toMatchObject({
      planner: 'llm',
      model: 'gpt-4o-mini',
      promptTokens: 1_200,
      completionTokens: 800,
      repairs: 0,
      validationErrors: [],
      context: { mode: 'customers', rows: 12 },
    });
    expect(record.fallbackReason).toBeUndefined();
    expect(record.costEstimateUsd).toBeCloseTo((1_200 * 0.15 + 800 * 0.6) / 1e6, 9);
    expect(record.latencyMs).toBeGreaterThanOrEqual(0);
    expect(validatePlan(input, plan)).toEqual([]);
    expect(plan).toEqual(planDeterministic(input).plan);

    expect(stub.requests).toHaveLength(1);
    const request = stub.requests[0]!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test-planner');
    const body = request.body as any;
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.messages.map((m: any) => m.role)).toEqual(['system', 'user']);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'campaign_plan', strict: true },
    });
    expect(body.response_format.json_schema.schema.required).toEqual(['themes', 'actions']);
    expect(body.response_format.json_schema.schema.additionalProperties).toBe(false);
    expectNothingPersonalSent(input);
  });

  it('rides out a 429 with the SDK’s retry and still uses the model’s plan', async () => {
    const input = smallInput();
    stub.enqueue(rateLimited(0), { kind: 'plan', plan: validModelPlan(input) });
    const { record } = await planner({ maxRetries: 2 }).planCampaign(input);
    expect(record.planner).toBe('llm');
    expect(stub.requests).toHaveLength(2);
    expect(stub.pending()).toBe(0);
  });

  it('falls back to the deterministic plan after retrying 500s', async () => {
    const input = smallInput();
    stub.enqueue(serverError(), serverError());
    const { plan, record } = await planner({ maxRetries: 1 }).planCampaign(input);
    expect(record.planner).toBe('deterministic');
    expect(record.fallbackReason).toMatch(/^server error \(500\) after 1 retry/);
    expect(stub.requests).toHaveLength(2);
    expect(plan).toEqual(planDeterministic(input).plan);
    expect(record.skipped).toEqual(planDeterministic(input).skipped);
  });

  it('falls back when the model does not answer within the timeout', async () => {
    const input = smallInput();
    stub.enqueue({ kind: 'delay', ms: 3_000, then: { kind: 'plan', plan: validModelPlan(input) } });
    const { plan, record } = await planner({ timeoutMs: 300 }).planCampaign(input);
    expect(record.planner).toBe('deterministic');
    expect(record.fallbackReason).toMatch(/^timeout: no answer within 300 ms/);
    expect(record.latencyMs).toBeLessThan(3_000);
    expect(validatePlan(input, plan)).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"themes": [{"day": 0', /^malformed JSON: /],
    ['JSON that is not a plan', '{"themes": []}', /^malformed plan: actions: /],
    ['an empty answer', '', /^malformed response: no content/],
  ])('falls back on %s', async (_what, content, reason) => {
    const input = smallInput();
    stub.enqueue({ kind: 'content', content });
    const { plan, record } = await planner().planCampaign(input);
    expect(record.planner).toBe('deterministic');
    expect(record.fallbackReason).toMatch(reason);
    expect(record.repairs).toBe(0);
    expect(plan).toEqual(planDeterministic(input).plan);
  });

  it('falls back on an answer cut off at the token limit', async () => {
    stub.enqueue({ kind: 'content', content: '{"themes":[', finishReason: 'length' });
    const { record } = await planner().planCampaign(smallInput());
    expect(record.fallbackReason).toBe('malformed response: cut off at the output token limit');
  });

  it('falls back on a refusal', async () => {
    stub.enqueue({ kind: 'refusal', refusal: 'I can’t help with alcohol marketing.' });
    const { record } = await planner().planCampaign(smallInput());
    expect(record.planner).toBe('deterministic');
    expect(record.fallbackReason).toBe('refusal: I can’t help with alcohol marketing.');
  });

  it('falls back without retrying when the API key is rejected', async () => {
    stub.enqueue({
      kind: 'error',
      status: 401,
      message: 'Incorrect API key provided',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    const { record } = await planner({ maxRetries: 2 }).planCampaign(smallInput());
    expect(record.fallbackReason).toMatch(/^OpenAI error \(401\): .*Incorrect API key provided/);
    expect(stub.requests).toHaveLength(1);
  });

  it('repairs a plan that breaks a rule by sending the errors back', async () => {
    const input = smallInput();
    const { model, alias } = withSmsWithoutConsent(input);
    stub.enqueue(
      { kind: 'plan', plan: model, usage: { prompt_tokens: 1_000, completion_tokens: 500 } },
      { kind: 'plan', plan: validModelPlan(input), usage: { prompt_tokens: 1_600, completion_tokens: 500 } },
    );
    const { plan, record } = await planner().planCampaign(input);

    expect(record).toMatchObject({ planner: 'llm', repairs: 1, promptTokens: 2_600, completionTokens: 1_000 });
    expect(record.validationErrors).toEqual([
      expect.objectContaining({ rule: 'channel_not_consented', alias, message: 'no sms consent' }),
    ]);
    expect(validatePlan(input, plan)).toEqual([]);

    const repair = (stub.requests[1]!.body as any).messages;
    expect(repair.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(JSON.parse(repair[2].content)).toEqual(model);
    expect(repair[3].content).toContain(`(${alias}, day `);
    expect(repair[3].content).toContain('channel_not_consented — no sms consent');
    expectNothingPersonalSent(input);
  });

  it('falls back when the repaired plan still breaks the rules', async () => {
    const input = smallInput();
    const { model } = withSmsWithoutConsent(input);
    stub.enqueue({ kind: 'plan', plan: model }, { kind: 'plan', plan: model });
    const { plan, record } = await planner().planCampaign(input);
    expect(record.planner).toBe('deterministic');
    expect(record.repairs).toBe(1);
    expect(record.fallbackReason).toMatch(
      /^the repaired plan still breaks 1 rule\(s\): channel_not_consented at actions\[\d+\]\.channels/,
    );
    expect(record.validationErrors.map((e) => e.rule)).toEqual(['channel_not_consented']);
    expect(stub.requests).toHaveLength(2);
    expect(plan).toEqual(planDeterministic(input).plan);
  });

  it('falls back when the repair call itself fails', async () => {
    const input = smallInput();
    stub.enqueue({ kind: 'plan', plan: withSmsWithoutConsent(input).model }, serverError(503));
    const { record } = await planner().planCampaign(input);
    expect(record.fallbackReason).toMatch(/^server error \(503\)/);
    expect(record.repairs).toBe(1);
  });

  it('stops when the caller cancels, instead of falling back', async () => {
    const input = smallInput();
    stub.enqueue({ kind: 'delay', ms: 3_000, then: { kind: 'plan', plan: validModelPlan(input) } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(planner().planCampaign(input, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('plans a large audience by cohorts over HTTP and expands the cohorts to customers', async () => {
    const input = generatePlanningInput({ customers: 3_000, seed: 12 });
    stub.enqueue({
      kind: 'respond',
      // A model that gives every cohort the first channel it may use and its playbook's first offer.
      respond: (request) => {
        const brief = JSON.parse((request.body as any).messages[1].content);
        const column = (name: string) => brief.cohorts.columns.indexOf(name);
        const actions = brief.cohorts.rows.map((row: any[]) => {
          const playbook = brief.playbooks[row[column('segment')]];
          const offer = playbook.offers[0];
          const channel = row[column('email')] && playbook.limits.channels.includes('email') ? 'email' : 'sms';
          return {
            customers: [row[column('cohort')]],
            day: 1,
            window: { start: '10:00', end: '12:00' },
            channels: [channel],
            offer: { key: offer.key, kind: offer.kind, label: offer.label, discountPct: offer.maxPct ?? null },
            brief: 'Offer of the week',
            rationale: 'cohort plan',
          };
        });
        return { kind: 'plan', plan: { themes: [{ day: 0, theme: 'Welcome back' }], actions } };
      },
    });
    const { plan, record } = await planner().planCampaign(input);
    expect(record.planner).toBe('llm');
    expect(record.context?.mode).toBe('cohorts');
    expect(record.context!.characters).toBeLessThan(60_000);
    expect(validatePlan(input, plan)).toEqual([]);
    expect(plan.actions.length + record.skipped.total).toBe(3_000);
    expect(record.skipped.byReason.not_planned_by_model).toBeUndefined();
    expectNothingPersonalSent(input);
  });
});

describe('choosing a planner', () => {
  const settings = { OPENAI_BASE_URL: undefined, OPENAI_MODEL: 'gpt-4o-mini', OPENAI_TIMEOUT_MS: 60_000 };

  it('uses the deterministic planner without an API key, and says so', async () => {
    const chosen = createPlanner({ ...settings, OPENAI_API_KEY: undefined });
    expect(chosen).toMatchObject({ planner: 'deterministic', reason: 'no OPENAI_API_KEY' });
    const input = smallInput();
    const { plan, record } = await chosen.planCampaign(input);
    expect(record).toMatchObject({ planner: 'deterministic', fallbackReason: 'no OPENAI_API_KEY', repairs: 0 });
    expect(plan).toEqual(planDeterministic(input).plan);
  });

  it('uses the LLM planner with an API key', async () => {
    const input = smallInput();
    stub.enqueue({ kind: 'plan', plan: validModelPlan(input) });
    const chosen = createPlanner({ ...settings, OPENAI_API_KEY: 'sk-configured', OPENAI_BASE_URL: stub.baseURL });
    expect(chosen.planner).toBe('llm');
    const { record } = await chosen.planCampaign(input);
    expect(record.planner).toBe('llm');
    expect(stub.requests[0]!.headers.authorization).toBe('Bearer sk-configured');
  });

  it('estimates cost from the price table, dated snapshots included, and not for unknown models', () => {
    expect(estimateCostUsd('gpt-4o-mini-2024-07-18', 1_000_000, 0)).toBeCloseTo(0.15, 9);
    expect(estimateCostUsd('gpt-4o', 0, 1_000_000)).toBeCloseTo(10, 9);
    expect(estimateCostUsd('llama-3.1-70b', 1_000, 1_000)).toBeUndefined();
  });
});
