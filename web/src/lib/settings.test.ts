import { describe, expect, it } from 'vitest';
import { providerStates } from './settings.ts';

describe('provider status', () => {
  it('says plainly that the deterministic planner is used when no LLM is configured, and that channels are sandboxed', () => {
    const states = providerStates({
      planner: { planner: 'deterministic', reason: 'no OPENAI_API_KEY' },
      providers: { email: { provider: 'sandbox', from: 'shop <m@sandbox.localhost>' }, sms: { provider: 'sandbox' } },
    });
    expect(states.map((s) => [s.name, s.state])).toEqual([
      ['Campaign planner', 'missing'],
      ['E-mail', 'sandbox'],
      ['SMS', 'sandbox'],
    ]);
    expect(states[0]!.detail).toMatch(/deterministic planner/);
    expect(states[0]!.detail).toContain('no OPENAI_API_KEY');
  });

  it('names the live providers and the model', () => {
    const states = providerStates({
      planner: { planner: 'llm', model: 'gpt-4.1-mini' },
      providers: {
        email: { provider: 'mailgun', domain: 'mg.shop.example', from: 'shop <m@mg.shop.example>' },
        sms: { provider: 'twilio', sender: '+15550001111' },
      },
    });
    expect(states.every((s) => s.state === 'live')).toBe(true);
    expect(states[0]!.detail).toContain('gpt-4.1-mini');
  });
});
