import { z } from 'zod';
import { COPY_LIMITS, COPY_VARIABLES } from '../messaging/copy.ts';
import type { PlanSegment } from './copy.ts';
import type { PlanningInput } from './types.ts';

/**
 * The copy request to the LLM: a second, small structured-output call once the plan is
 * accepted. It is pseudonymous by construction — the segments the plan reaches with their
 * offers and playbook goal, the campaign's type and goal, and the store's name. No customer,
 * alias, count or campaign name is in it.
 */

export const modelCopySchema = z.object({
  copy: z.array(z.object({ segment: z.string(), subject: z.string(), body: z.string(), sms: z.string() })),
});

export type ModelCopy = z.infer<typeof modelCopySchema>;

export function copyPrompt(
  input: PlanningInput,
  segments: PlanSegment[],
  storeName: string,
): { system: string; user: string } {
  const { campaign } = input;
  const user = JSON.stringify({
    storeName,
    campaign: { type: campaign.type, goal: campaign.goal },
    segments: segments.map(({ segment, offers }) => ({
      segment,
      goal: input.playbooks[segment]?.goal ?? '',
      offers: offers.map((o) => ({ kind: o.kind, label: o.label, discountPct: o.discountPct ?? null })),
    })),
  });
  const variables = Object.keys(COPY_VARIABLES)
    .map((v) => `{{ ${v} }}`)
    .join(', ');
  const system = [
    `You write the message copy of a ${campaign.type} marketing campaign for a liquor store. The user message is`,
    'JSON with the store, the campaign and the customer segments it reaches, each with its goal and offers.',
    'Answer with one copy entry per segment: subject (the e-mail subject), body (the e-mail text) and sms.',
    '',
    `- Personalise only with these Liquid variables: ${variables}. No other variables, tags or filters.`,
    '  Customers of a segment may get different offers: name the offer with {{ offer_label }} or',
    '  {{ offer_discount }}, never by hard-coding it.',
    `- subject: one line, at most ${COPY_LIMITS.subject} characters.`,
    `- body: plain text, no HTML or Markdown, at most ${COPY_LIMITS.body} characters; a blank line between`,
    '  paragraphs. Start with a greeting. A shop button, the address and the unsubscribe links are added below it.',
    `- sms: plain text, at most ${COPY_LIMITS.smsSegments} SMS segments (about 250 characters) including the`,
    '  store name and " Reply STOP to opt out.", which are added when missing. Include {{ shop_url }}.',
    '  Plain ASCII punctuation: curly quotes or emoji make every segment much shorter.',
    '- Alcohol marketing: address adults only, never suggest drinking to excess, nor that drinking brings',
    '  social, sexual or professional success; no health claims.',
  ].join('\n');
  return { system, user };
}
