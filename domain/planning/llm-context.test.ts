import { faker } from '@faker-js/faker';
import { describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { planningCustomer, planningInput } from './fixtures.ts';
import { buildLlmContext, DEFAULT_MAX_CONTEXT_CHARACTERS } from './llm-context.ts';
import { customerAlias, type PlanningCustomer } from './types.ts';

/** A customer as the database holds them: contact details the planner must never pass on. */
interface StoredCustomer {
  id: string;
  externalId: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
}

function storedCustomers(count: number): StoredCustomer[] {
  faker.seed(42);
  return Array.from({ length: count }, (_, i) => ({
    id: faker.string.uuid(),
    externalId: `POS-${String(7_000_000 + i * 37)}`,
    firstName: faker.person.firstName(),
    lastName: faker.person.lastName(),
    email: faker.internet.email().toLowerCase(),
    phone: `+1515555${String(1000 + i).slice(-4)}`,
  }));
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const EMAIL = /[^\s"@]+@[^\s"@]+\.[a-z]{2,}/i;
// E.164, ten or more digits in a row, or (515) 555-0123 / 515-555-0123; not dates like 2026-12-01.
const PHONE = /\+\d{8,15}|\b\d{10,15}\b|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/;

describe('LLM context', () => {
  it('fits 300 customers, one row each, well under the character budget', () => {
    const input = generatePlanningInput({ customers: 300, seed: 1 });
    const context = buildLlmContext(input);
    expect(context.mode).toBe('customers');
    expect(context.rows + context.skipped.total).toBe(300);
    expect(context.characters).toBe(context.system.length + context.user.length);
    expect(context.characters).toBeLessThan(DEFAULT_MAX_CONTEXT_CHARACTERS);
    const brief = JSON.parse(context.user);
    expect(brief.customers.rows).toHaveLength(context.rows);
    expect(brief.customers.columns).toEqual(expect.arrayContaining(['alias', 'segment', 'clv', 'buyDay', 'openFrom']));
    expect(Object.keys(brief.playbooks).sort()).toEqual(
      [...new Set(input.customers.map((c) => c.segment))].filter((s) => s in input.playbooks).sort(),
    );
    expect(brief.campaign.dates).toHaveLength(7);
  });

  it('rounds features and gives the predicted purchase as a day of the campaign', () => {
    const input = planningInput([
      planningCustomer(1, {
        clv: 1234.56,
        churnRisk: 0.61803,
        predictedNextPurchaseOn: '2026-12-04',
        preferredHour: 19,
      }),
    ]);
    const brief = JSON.parse(buildLlmContext(input).user);
    const row = Object.fromEntries(
      brief.customers.columns.map((c: string, i: number) => [c, brief.customers.rows[0][i]]),
    );
    expect(row).toMatchObject({ alias: 'c001', clv: 1235, churnRisk: 0.62, buyDay: 3, usualHour: 19, sms: 1 });
    expect(brief.timeZones[row.tz]).toBe('America/Chicago');
  });

  it('summarises a large audience into at most 60 cohorts whatever its size', () => {
    const sizes = [2_000, 20_000].map((customers) => {
      const input = generatePlanningInput({ customers, seed: 8 });
      const context = buildLlmContext(input);
      expect(context.mode).toBe('cohorts');
      expect(context.rows).toBeLessThanOrEqual(60);
      const members = [...context.targets.values()].flat();
      expect(members.length + context.skipped.total).toBe(customers);
      expect(new Set(members.map((m) => m.ranked.customer.customerId)).size).toBe(members.length);
      for (const [alias, list] of context.targets) {
        expect(alias).toMatch(/^k\d{2}$/);
        const keys = new Set(
          list.map((m) => {
            const c = m.ranked.customer;
            return `${c.segment}|${c.isNightBuyer}|${c.consent.email}|${c.consent.sms}`;
          }),
        );
        expect(keys.size).toBe(1);
        const priorities = list.map((m) => m.ranked.priority);
        expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
      }
      const brief = JSON.parse(context.user);
      expect(brief.cohorts.rows.map((r: unknown[]) => r[5]).reduce((a: number, b: number) => a + b, 0)).toBe(
        members.length,
      );
      return context.characters;
    });
    expect(sizes[1]!).toBeLessThan(DEFAULT_MAX_CONTEXT_CHARACTERS / 2);
    // Ten times the audience, about the same prompt.
    expect(Math.abs(sizes[1]! - sizes[0]!)).toBeLessThan(sizes[0]! * 0.2);
  });

  it('switches to cohorts when the rows would not fit the character budget', () => {
    const input = generatePlanningInput({ customers: 200, seed: 3 });
    expect(buildLlmContext(input).mode).toBe('customers');
    expect(buildLlmContext(input, { maxCharacters: 5_000 }).mode).toBe('cohorts');
    expect(buildLlmContext(input, { maxCustomers: 50 }).mode).toBe('cohorts');
  });

  it('leaves customers who cannot be reached out of the prompt', () => {
    const input = planningInput([
      planningCustomer(1),
      planningCustomer(2, { consent: { email: false, sms: false } }),
      planningCustomer(3, { segment: 'vip_wine_club' }),
    ]);
    const context = buildLlmContext(input);
    expect([...context.targets.keys()]).toEqual(['c001']);
    expect(context.skipped).toEqual({ total: 2, byReason: { no_consented_channel: 1, no_playbook: 1 } });
    expect(context.user).not.toContain('c002');
    expect(context.user).not.toContain('vip_wine_club');
  });

  it('never shows a name, e-mail, phone, external id or UUID to the model', () => {
    const stored = storedCustomers(300);
    const generated = generatePlanningInput({ customers: 300, seed: 5 });
    // The planning customers as the loader would build them from the stored rows.
    const customers: PlanningCustomer[] = generated.customers.map((c, i) => ({
      ...c,
      customerId: stored[i]!.id,
      alias: customerAlias(i),
    }));
    const input = { ...generated, customers };
    // The scans must be able to see what they look for.
    for (const s of stored) {
      expect(s.id).toMatch(UUID);
      expect(s.email).toMatch(EMAIL);
      expect(s.phone).toMatch(PHONE);
    }
    for (const context of [buildLlmContext(input), buildLlmContext(input, { maxCustomers: 10 })]) {
      const prompt = `${context.system}\n${context.user}`;
      expect(prompt).not.toMatch(UUID);
      expect(prompt).not.toMatch(EMAIL);
      expect(prompt).not.toMatch(PHONE);
      for (const s of stored) {
        for (const value of [s.id, s.externalId, s.email, s.phone, `${s.firstName} ${s.lastName}`]) {
          expect(prompt).not.toContain(value);
        }
        for (const name of [s.firstName, s.lastName]) {
          expect(prompt).not.toMatch(new RegExp(`\\b${name.replace(/[^\w]/g, '.')}\\b`));
        }
      }
    }
    // The positive control: the scan would see an alias, and does.
    expect(buildLlmContext(input).user).toContain('"c001"');
  });
});
