import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { SystemInfo } from '$lib/campaigns/types.ts';
import PlannerNote from './planner-note.svelte';

const noLlm: SystemInfo = { planner: { planner: 'deterministic', reason: 'no OPENAI_API_KEY' }, providers: {} };
const llm: SystemInfo = { planner: { planner: 'llm', model: 'gpt-4.1-mini' }, providers: {} };

afterEach(cleanup);

describe('<PlannerNote>: which planner made the plan', () => {
  it('says plainly that no LLM is configured when the deterministic planner is why', () => {
    render(PlannerNote, { record: { planner: 'deterministic' }, system: noLlm });
    expect(screen.getByRole('status').textContent).toMatch(
      /Planned by the deterministic planner, because no LLM is configured on this installation\s*\(no OPENAI_API_KEY\)/,
    );
  });

  it('names the model of an LLM plan, and the reason when a configured LLM fell back', () => {
    render(PlannerNote, { record: { planner: 'llm', model: 'gpt-4.1-mini', repairs: 1 }, system: llm });
    expect(screen.getByRole('status').textContent).toMatch(/Planned by the LLM \(gpt-4\.1-mini\), after 1 repair\./);
    cleanup();
    render(PlannerNote, {
      record: { planner: 'deterministic', fallbackReason: 'the model timed out' },
      system: llm,
    });
    expect(screen.getByRole('status').textContent).toMatch(
      /deterministic planner: the model timed out\. The LLM is\s+configured, but its plan could not be used/,
    );
  });

  it('before any plan, says which planner will write it', () => {
    render(PlannerNote, { record: null, system: noLlm });
    expect(screen.getByText(/No LLM is configured: plans come from the deterministic planner/)).toBeTruthy();
  });
});
