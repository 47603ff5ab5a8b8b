/**
 * A campaign's lifecycle (DESIGN.md "Temporal design"):
 *
 *   draft → planning → awaiting_approval → scheduled → active ⇄ paused → completed
 *                                                   ↘ cancelled (from any state before completed)
 *                                                   ↘ failed
 *
 * `planning` may also return to `draft` (the plan could not be made) and `awaiting_approval`
 * back to `planning` (generate again). The workflow and the API both consult this table.
 */
export const campaignStatuses = [
  'draft',
  'planning',
  'awaiting_approval',
  'scheduled',
  'active',
  'paused',
  'completed',
  'cancelled',
  'failed',
] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const campaignTypes = ['win_back', 'new_arrival', 'holiday', 're_engagement', 'custom'] as const;
export type CampaignType = (typeof campaignTypes)[number];

export type CampaignCommand = 'generate' | 'edit' | 'approve' | 'start' | 'pause' | 'resume' | 'cancel';

const allowed: Record<CampaignCommand, readonly CampaignStatus[]> = {
  generate: ['draft', 'awaiting_approval'],
  edit: ['awaiting_approval'],
  approve: ['awaiting_approval'],
  start: ['scheduled'],
  pause: ['scheduled', 'active'],
  resume: ['paused'],
  cancel: ['draft', 'planning', 'awaiting_approval', 'scheduled', 'active', 'paused'],
};

export function isFinished(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed';
}

/** Why a command is refused in a status, or undefined when it is allowed. */
export function refusal(command: CampaignCommand, status: CampaignStatus): string | undefined {
  if (allowed[command].includes(status)) return undefined;
  return `A campaign that is ${status.replace('_', ' ')} cannot ${command === 'edit' ? 'be edited' : command}; allowed when ${allowed[command].join(', ')}.`;
}
