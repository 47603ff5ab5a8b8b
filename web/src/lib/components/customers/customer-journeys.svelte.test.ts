import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { CustomerJourney } from '$lib/customers/journeys.ts';
import CustomerJourneys from './customer-journeys.svelte';

afterEach(cleanup);

const welcome: CustomerJourney = {
  id: 'run-1',
  journey: 'welcome',
  workflowId: 'journey-welcome-c1',
  trigger: 'event',
  status: 'exited',
  exitReason: 'opted_out',
  startedAt: '2026-11-20T15:00:00Z',
  finishedAt: '2026-11-23T15:00:00Z',
  sends: [
    {
      id: 's-1',
      step: 0,
      channel: 'email',
      status: 'sent',
      skipReason: null,
      sentAt: '2026-11-20T15:00:05Z',
      openedAt: null,
      clickedAt: null,
    },
  ],
};

const winBack: CustomerJourney = {
  ...welcome,
  id: 'run-2',
  journey: 'win_back',
  workflowId: 'journey-win_back-c1',
  trigger: 'scoring',
  status: 'running',
  exitReason: null,
  finishedAt: null,
  sends: [
    { ...welcome.sends[0]!, id: 's-2', channel: 'sms', status: 'skipped', skipReason: 'frequency_cap', sentAt: null },
  ],
};

describe('<CustomerJourneys>: which journeys ran for a customer and what they sent', () => {
  it('shows each journey with why it started, how it ended and each message', () => {
    render(CustomerJourneys, { journeys: [winBack, welcome] });
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toMatch(/Win back\s*\(churn risk\)/);
    expect(rows[0]!.textContent).toMatch(/Running/);
    expect(rows[0]!.textContent).toMatch(/Step 1, SMS: Skipped\s*\(Frequency cap\)/);
    expect(rows[1]!.textContent).toMatch(/Welcome\s*\(event\)/);
    expect(rows[1]!.textContent).toMatch(/Exited\s*\(Opted out\)/);
    expect(rows[1]!.textContent).toMatch(/Step 1, e-mail: Sent/);
  });

  it('says so when no journey ran', () => {
    render(CustomerJourneys, { journeys: [] });
    expect(screen.getByText('No journeys yet.')).toBeTruthy();
  });
});
