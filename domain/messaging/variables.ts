import { categoryFamilies } from '../categories.ts';
import type { offerKinds } from '../segments/playbooks.ts';

/**
 * What a template can say about the recipient, the offer, the store and where links go. Code
 * passes camelCase; templates read snake_case (`{{ customer.first_name }}`), the marketer's
 * words. Every name always exists, so a typo in a template fails when it is saved rather than
 * printing nothing in ten thousand inboxes.
 */

export type OfferKind = (typeof offerKinds)[number];

export interface MessageVariables {
  customer: { firstName: string | null; primaryCategory: string | null };
  offer: {
    kind: OfferKind;
    label: string;
    description?: string;
    /** The discount this campaign gives, for percent_off. */
    discountPct?: number;
    /** For amount_off, in `currency`. */
    amountOff?: number;
    currency?: string;
  } | null;
  store: { name: string; postalAddress: string; responsibleDrinkingLine: string };
  links: {
    shop: string;
    unsubscribe: string;
    /** `mailto:` address for the List-Unsubscribe header's second form. */
    unsubscribeMailto: string;
    preferences: string;
  };
}

export interface RenderOptions {
  /** Said instead of a missing first name: "Hi there". */
  firstNameFallback?: string;
  /** Said instead of a missing primary category: "15% off your favourites". */
  categoryFallback?: string;
}

/** The per-recipient values, resolved the same way for a full render and a mail merge. */
export interface RecipientFields {
  first_name: string;
  primary_category: string;
  unsubscribe_url: string;
  unsubscribe_mailto: string;
  preferences_url: string;
  /** The shop link: a tracked `/r/` link of its own in a sent e-mail. */
  shop_url: string;
}

const categoryLabels = new Map<string, string>(categoryFamilies.map((f) => [f.key, f.label]));

export function recipientFields(vars: MessageVariables, options: RenderOptions = {}): RecipientFields {
  const firstName = vars.customer.firstName?.trim();
  const category = vars.customer.primaryCategory?.trim();
  return {
    first_name: firstName || (options.firstNameFallback ?? 'there'),
    primary_category: category
      ? (categoryLabels.get(category) ?? category)
      : (options.categoryFallback ?? 'your favourites'),
    unsubscribe_url: vars.links.unsubscribe,
    unsubscribe_mailto: vars.links.unsubscribeMailto,
    preferences_url: vars.links.preferences,
    shop_url: vars.links.shop,
  };
}

function formatDiscount(offer: NonNullable<MessageVariables['offer']>): string {
  if (offer.kind === 'percent_off' && offer.discountPct !== undefined) return `${offer.discountPct}%`;
  if (offer.kind === 'amount_off' && offer.amountOff !== undefined) {
    const whole = Number.isInteger(offer.amountOff);
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: offer.currency ?? 'USD',
      minimumFractionDigits: whole ? 0 : 2,
      maximumFractionDigits: 2,
    }).format(offer.amountOff);
  }
  return '';
}

/** The object a Liquid template sees. */
export function liquidScope(vars: MessageVariables, recipient: RecipientFields): Record<string, unknown> {
  const offer = vars.offer;
  return {
    customer: { first_name: recipient.first_name, primary_category: recipient.primary_category },
    offer: {
      kind: offer?.kind ?? 'none',
      label: offer?.label ?? '',
      description: offer?.description ?? '',
      discount: offer ? formatDiscount(offer) : '',
    },
    store: {
      name: vars.store.name,
      address: vars.store.postalAddress,
      responsible_drinking: vars.store.responsibleDrinkingLine,
    },
    links: {
      shop: recipient.shop_url,
      unsubscribe: recipient.unsubscribe_url,
      preferences: recipient.preferences_url,
    },
  };
}

/** Variables for trying a template out: the editor's preview and the check when it is saved. */
export const sampleVariables: MessageVariables = {
  customer: { firstName: 'Alex', primaryCategory: 'whiskey' },
  offer: { kind: 'percent_off', label: '15% off their favourite category', discountPct: 15, description: '' },
  store: {
    name: 'Sample Liquor Store',
    postalAddress: '100 Main Street, Springfield, IL 62701',
    responsibleDrinkingLine: 'Please enjoy responsibly.',
  },
  links: {
    shop: 'https://shop.example.com',
    unsubscribe: 'https://example.com/api/unsubscribe/sample',
    unsubscribeMailto: 'mailto:unsubscribe@example.com?subject=unsubscribe%20sample',
    preferences: 'https://example.com/preferences/sample',
  },
};
