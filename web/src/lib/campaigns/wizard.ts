import { z } from 'zod';
import { campaignTypes } from './types.ts';

/**
 * The wizard's first step, checked in the browser with the same rules as POST /api/campaigns
 * (api/routes/campaigns.ts), so mistakes show on their fields before anything is sent.
 */
export const campaignFormSchema = z.object({
  name: z.string().trim().min(1, 'Give the campaign a name.').max(120),
  type: z.enum(campaignTypes),
  goal: z.string().trim().min(1, 'Say what the campaign should achieve.').max(1_000),
  targetSegments: z.array(z.string()).max(20).default([]),
  channels: z
    .array(z.enum(['email', 'sms']))
    .min(1, 'Pick at least one channel.')
    .default(['email']),
  startsOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Pick the first day.'),
  windowDays: z.number().int().min(1).max(31).default(7),
  audienceSize: z
    .number({ message: 'Enter a number of customers.' })
    .int()
    .min(1, 'At least one customer.')
    .max(100_000, 'At most 100,000 customers.')
    .default(300),
});
export type CampaignForm = z.infer<typeof campaignFormSchema>;

/** Tomorrow in the browser's calendar: a campaign starts no earlier by default. */
export function tomorrow(now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The wizard's steps, from the campaign's status: where a reload or a return visit resumes. */
export type WizardStep = 'details' | 'plan' | 'review' | 'launch';
export function stepOf(status: string | undefined): WizardStep {
  switch (status) {
    case undefined:
      return 'details';
    case 'draft':
    case 'planning':
      return 'plan';
    case 'awaiting_approval':
      return 'review';
    default:
      return 'launch';
  }
}
