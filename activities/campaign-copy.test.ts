import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCampaign } from '../api/data/campaigns.ts';
import { saveCampaignCopy } from '../api/data/campaign-copy.ts';
import { serverError, startOpenAiStub, type OpenAiStub, type RecordedRequest } from '../bench/stubs/openai-stub.ts';
import type { CampaignPlanner } from '../domain/planning/types.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { insertScoreRun, insertScoredCustomer } from '../platform/testing/scored-customers.ts';
import { createCampaignPlanningActivities, type CampaignRules } from './campaign-planning.ts';
import { createLlmPlanner } from './planning/llm-planner.ts';
import { createDeterministicPlanner } from './planning/planner.ts';

/**
 * Copy drafting end to end, short of Temporal: the planning activity asks the LLM planner (the
 * real SDK against the OpenAI stub) for a plan and the copy of each segment it reaches, checks
 * the drafts, and stores them beside the actions.
 */

const STORE = "Bob's Bottles";
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const rules: CampaignRules = {
  minimumAge: { '*': 21 },
  sendHours: { start: '08:00', end: '21:00' },
  frequencyCap: { max: 3, days: 7 },
  storeTimeZone: 'America/Chicago',
};

/** Four customers in each of two segments, e-mail consent, scored. */
async function seedAudience(db: TestDatabase['db']): Promise<{ emails: string[]; names: string[] }> {
  const runId = await insertScoreRun(db);
  const segments = await db('segments').whereIn('key', ['at_risk', 'champions']).select('id', 'key');
  const emails: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < 8; i++) {
    const segment = segments.find((s) => s.key === (i % 2 ? 'champions' : 'at_risk'))!;
    const email = `regular${i}@example.com`;
    const name = `Firstname${i}`;
    emails.push(email);
    names.push(name);
    await insertScoredCustomer(db, {
      runId,
      segmentId: segment.id,
      clv: 200 + i,
      customer: { external_id: `C-${i}`, email, first_name: name, age_verified: true, time_zone: 'America/Chicago' },
    });
  }
  return { emails, names };
}

/** A model that gives every customer an e-mail on day 0 with their playbook's first offer. */
function planReply(request: RecordedRequest) {
  const brief = JSON.parse((request.body as any).messages[1].content);
  const col = (name: string) => brief.customers.columns.indexOf(name);
  const actions = brief.customers.rows.map((row: any[]) => {
    const offer = brief.playbooks[row[col('segment')]].offers[0];
    return {
      customers: [row[col('alias')]],
      day: 0,
      window: { start: '10:00', end: '12:00' },
      channels: ['email'],
      offer: { key: offer.key, kind: offer.kind, label: offer.label, discountPct: offer.maxPct ?? null },
      brief: 'The offer of the week',
      rationale: 'test plan',
    };
  });
  return { kind: 'plan' as const, plan: { themes: [], actions } };
}

const goodCopy = (segment: string) => ({
  segment,
  subject: `${segment}: {{ first_name }}, a pour for you`,
  body: 'Hi {{ first_name }},\n\n{{ offer_label }} at {{ store_name }}.',
  sms: '{{ store_name }}: {{ offer_label }}, {{ first_name }}. {{ shop_url }}',
});

describe('message copy from the planning activity', () => {
  let t: TestDatabase;
  let stub: OpenAiStub;
  let people: { emails: string[]; names: string[] };

  beforeAll(async () => {
    t = await createTestDatabase();
    people = await seedAudience(t.db);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    stub = await startOpenAiStub();
  });
  afterEach(async () => stub.close());

  const llmPlanner = () =>
    createLlmPlanner({
      apiKey: 'sk-test-copy',
      baseURL: stub.baseURL,
      model: 'gpt-4o-mini',
      timeoutMs: 5_000,
      maxRetries: 0,
      copy: { storeName: STORE },
    });

  async function generate(planner: CampaignPlanner, campaignId: string) {
    const { generateCampaignPlan } = createCampaignPlanningActivities({ db: t.db, planner, rules });
    return (await new MockActivityEnvironment().run(generateCampaignPlan, campaignId)) as Awaited<
      ReturnType<typeof generateCampaignPlan>
    >;
  }

  async function newCampaign(): Promise<string> {
    const { id } = await createCampaign(t.db, {
      name: 'Autumn win-back',
      type: 'win_back',
      goal: 'Bring lapsed regulars back',
      targetSegments: [],
      channels: ['email'],
      startsOn: '2026-12-01',
      windowDays: 7,
      audienceSize: 100,
      timeZone: 'America/Chicago',
      createdBy: null,
      idempotencyKey: null,
    });
    return id;
  }

  const storedCopy = async (campaignId: string) =>
    t.db('campaign_copy').where({ campaign_id: campaignId }).orderBy('segment_key');

  it('stores the model’s copy per segment, from a request that names no customer', async () => {
    const campaignId = await newCampaign();
    stub.enqueue(
      { kind: 'respond', respond: planReply },
      { kind: 'plan', plan: { copy: [goodCopy('at_risk'), goodCopy('champions')] } },
    );
    const result = await generate(llmPlanner(), campaignId);
    expect(result).toMatchObject({ actions: 8, planner: 'llm' });

    const copy = await storedCopy(campaignId);
    expect(copy.map((c) => [c.segment_key, c.source, c.subject])).toEqual([
      ['at_risk', 'llm', 'at_risk: {{ first_name }}, a pour for you'],
      ['champions', 'llm', 'champions: {{ first_name }}, a pour for you'],
    ]);
    const actions = await t.db('actions').where({ campaign_id: campaignId });
    expect(new Set(actions.map((a) => a.segment_key))).toEqual(new Set(['at_risk', 'champions']));
    const campaign = await t.db('campaigns').where({ id: campaignId }).first();
    expect(campaign.plan_record.copy).toEqual({ drafted: 'llm', rejected: [] });

    expect(stub.requests).toHaveLength(2);
    const request = stub.requests[1]!.body as any;
    expect(request.response_format.json_schema.name).toBe('campaign_copy');
    const sent = JSON.parse(request.messages[1].content);
    expect(Object.keys(sent).sort()).toEqual(['campaign', 'segments', 'storeName']);
    expect(sent.storeName).toBe(STORE);
    expect(sent.campaign).toEqual({ type: 'win_back', goal: 'Bring lapsed regulars back' });
    expect(sent.segments.map((s: any) => s.segment)).toEqual(['at_risk', 'champions']);
    for (const s of sent.segments) expect(Object.keys(s).sort()).toEqual(['goal', 'offers', 'segment']);
    const raw = stub.requests[1]!.raw;
    expect(raw).not.toMatch(UUID);
    expect(raw).not.toMatch(/\bc\d{3}\b/);
    for (const v of [...people.emails, ...people.names, 'Autumn win-back']) expect(raw).not.toContain(v);
  });

  it('replaces a refused draft with the deterministic copy and records why', async () => {
    const campaignId = await newCampaign();
    const refused = { ...goodCopy('champions'), subject: 'Hi {{ customer.last_name }}', sms: '<b>Hi</b>' };
    stub.enqueue(
      { kind: 'respond', respond: planReply },
      { kind: 'plan', plan: { copy: [goodCopy('at_risk'), refused] } },
    );
    await generate(llmPlanner(), campaignId);

    const copy = await storedCopy(campaignId);
    expect(copy.map((c) => [c.segment_key, c.source])).toEqual([
      ['at_risk', 'llm'],
      ['champions', 'deterministic'],
    ]);
    expect(copy[1].subject).toBe('{{ first_name }}, we saved you a spot at {{ store_name }}');
    const { plan_record: record } = await t.db('campaigns').where({ id: campaignId }).first();
    expect(record.planner).toBe('llm');
    expect(record.copy).toEqual({
      drafted: 'llm',
      rejected: [
        {
          segment: 'champions',
          issues: [
            expect.stringMatching(/^subject: unknown variable \{\{ customer\.last_name \}\}/),
            expect.stringMatching(/^sms: an SMS is plain text/),
          ],
        },
      ],
    });
  });

  it('falls back to the deterministic copy when the copy call fails, keeping the model’s plan', async () => {
    const campaignId = await newCampaign();
    stub.enqueue({ kind: 'respond', respond: planReply }, serverError(500));
    const result = await generate(llmPlanner(), campaignId);
    expect(result.planner).toBe('llm');
    const copy = await storedCopy(campaignId);
    expect(copy.map((c) => c.source)).toEqual(['deterministic', 'deterministic']);
    const { plan_record: record } = await t.db('campaigns').where({ id: campaignId }).first();
    expect(record.copy).toMatchObject({
      drafted: 'llm',
      fallbackReason: expect.stringMatching(/^server error \(500\)/),
    });
  });

  it('replaces the planner’s copy on regeneration and keeps the copy a marketer edited', async () => {
    const campaignId = await newCampaign();
    stub.enqueue(
      { kind: 'respond', respond: planReply },
      { kind: 'plan', plan: { copy: [goodCopy('at_risk'), goodCopy('champions')] } },
    );
    await generate(llmPlanner(), campaignId);
    const edited = {
      subject: 'Our own words, {{ first_name }}',
      body: 'Hi {{ first_name }}',
      sms: 'Hi {{ shop_url }}',
    };
    await saveCampaignCopy(t.db, { campaignId, segment: 'champions', copy: edited, userId: null });

    await generate(createDeterministicPlanner('no OPENAI_API_KEY'), campaignId);
    const copy = await storedCopy(campaignId);
    expect(copy.map((c) => [c.segment_key, c.source, c.subject])).toEqual([
      ['at_risk', 'deterministic', '{{ first_name }}, we saved you a spot at {{ store_name }}'],
      ['champions', 'marketer', edited.subject],
    ]);
  });
});
