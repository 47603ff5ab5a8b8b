import { describe, expect, it } from 'vitest';
import { campaignStatuses, isFinished, refusal, type CampaignCommand } from './lifecycle.ts';

describe('campaign lifecycle', () => {
  it.each<[CampaignCommand, string[]]>([
    ['generate', ['draft', 'awaiting_approval']],
    ['edit', ['awaiting_approval']],
    ['approve', ['awaiting_approval']],
    ['start', ['scheduled']],
    ['pause', ['scheduled', 'active']],
    ['resume', ['paused']],
    ['cancel', ['draft', 'planning', 'awaiting_approval', 'scheduled', 'active', 'paused']],
  ])('allows %s only in %j', (command, statuses) => {
    for (const status of campaignStatuses) {
      expect(refusal(command, status) === undefined, `${command} in ${status}`).toBe(statuses.includes(status));
    }
  });

  it('explains a refusal in words', () => {
    expect(refusal('resume', 'active')).toBe('A campaign that is active cannot resume; allowed when paused.');
    expect(refusal('edit', 'active')).toMatch(/cannot be edited/);
  });

  it('knows which states are final', () => {
    expect(campaignStatuses.filter(isFinished)).toEqual(['completed', 'cancelled', 'failed']);
  });
});
