import { z } from 'zod';
import { offerKinds, playbookSchema, type Offer, type Playbook } from '../../../../domain/segments/playbooks.ts';

/**
 * The segment editor validates with the very schema the API enforces (domain/segments/playbooks.ts),
 * so what the form accepts the API accepts, and its errors show beside the fields before a request.
 */
export const segmentFormSchema = z.object({
  name: z.string().trim().min(1, 'Give the segment a name.').max(80),
  description: z.string().trim().max(500),
  playbook: playbookSchema,
});

export type SegmentForm = z.infer<typeof segmentFormSchema>;
export { offerKinds, type Offer, type Playbook };
export const appliesToOptions = ['primary_category', 'new_arrivals', 'any'] as const;

export function newOffer(existing: readonly { key: string }[]): Offer {
  let n = existing.length + 1;
  while (existing.some((o) => o.key === `offer_${n}`)) n++;
  return { key: `offer_${n}`, label: '', kind: 'percent_off', appliesTo: 'any', maxDiscountPct: 10, description: '' };
}

/**
 * A problem's field errors as the form's paths: `body.playbook.offers.0.label` → `playbook.offers[0].label`.
 * Errors about the whole body land on the form itself (`_`).
 */
export function problemToFieldErrors(errors: { path: string; message: string }[]): [string, string][] {
  return errors.map(({ path, message }) => {
    const parts = path.split('.').slice(path.startsWith('body') ? 1 : 0);
    const formPath = parts.reduce((p, part) => (/^\d+$/.test(part) ? `${p}[${part}]` : p ? `${p}.${part}` : part), '');
    return [formPath || '_', message];
  });
}

/** An empty number field means "not set", which the schema expresses as a missing key. */
export function numberOrUndefined(value: string): number | undefined {
  return value.trim() === '' || Number.isNaN(Number(value)) ? undefined : Number(value);
}
