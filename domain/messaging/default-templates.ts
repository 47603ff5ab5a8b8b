import type { MessageTemplate } from './render.ts';
import type { OfferKind } from './variables.ts';

/**
 * The templates a campaign uses unless the marketer writes its own: one per playbook offer
 * kind. The footer (address, responsible-drinking line, unsubscribe) is added by the
 * renderer; SMS gets the store name and "Reply STOP to opt out" added when missing.
 */

function email(headline: string, paragraphs: string[], button: string): string {
  return `<mj-section background-color="#ffffff" padding="28px 0 8px">
  <mj-column>
    <mj-text font-size="13px" color="#7a1f2b" text-transform="uppercase" letter-spacing="1px">{{ store.name }}</mj-text>
    <mj-text font-size="24px" line-height="30px" font-weight="bold">${headline}</mj-text>
    <mj-text>Hi {{ customer.first_name }},</mj-text>
${paragraphs.map((p) => `    <mj-text>${p}</mj-text>`).join('\n')}
    <mj-button href="{{ links.shop }}">${button}</mj-button>
  </mj-column>
</mj-section>`;
}

function text(paragraphs: string[], action: string): string {
  return `Hi {{ customer.first_name }},

${paragraphs.join('\n\n')}

${action}: {{ links.shop }}`;
}

export const defaultTemplates: Readonly<Record<OfferKind, MessageTemplate>> = {
  percent_off: {
    subject: '{{ customer.first_name }}, {{ offer.discount }} off {{ customer.primary_category }} this week',
    preheader: '{{ offer.label }} at {{ store.name }}.',
    email: email(
      '{{ offer.discount }} off {{ customer.primary_category }}',
      ['Your favourites are waiting: take {{ offer.discount }} off {{ customer.primary_category }} this week.'],
      'Shop {{ customer.primary_category }}',
    ),
    text: text(
      ['Your favourites are waiting: take {{ offer.discount }} off {{ customer.primary_category }} this week.'],
      'Shop now',
    ),
    sms: '{{ store.name }}: {{ offer.discount }} off {{ customer.primary_category }} this week, {{ customer.first_name }}. {{ links.shop }}',
  },
  amount_off: {
    subject: '{{ offer.discount }} off your next visit, {{ customer.first_name }}',
    preheader: '{{ offer.label }} at {{ store.name }}.',
    email: email(
      '{{ offer.discount }} off your next visit',
      ['Come by this week and take {{ offer.discount }} off your order. {{ offer.description }}'],
      'Plan your visit',
    ),
    text: text(['Come by this week and take {{ offer.discount }} off your order. {{ offer.description }}'], 'Shop now'),
    sms: '{{ store.name }}: {{ offer.discount }} off your next order this week, {{ customer.first_name }}. {{ links.shop }}',
  },
  early_access: {
    subject: 'Before anyone else: new arrivals at {{ store.name }}',
    preheader: 'Limited bottles, first come, first served.',
    email: email(
      'Early access, just for you',
      [
        'New arrivals and allocated bottles land this week, and you get first pick before they reach the shelf.',
        '{{ offer.description }}',
      ],
      'See what is new',
    ),
    text: text(
      ['New arrivals and allocated bottles land this week, and you get first pick before they reach the shelf.'],
      'See what is new',
    ),
    sms: '{{ store.name }}: first pick of new and allocated bottles for you, {{ customer.first_name }}: {{ links.shop }}',
  },
  free_gift: {
    subject: 'A little something for you, {{ customer.first_name }}',
    preheader: '{{ offer.label }}',
    email: email(
      'A gift with your next visit',
      ['{{ offer.label }}. {{ offer.description }}', 'While stocks last.'],
      'Visit the store',
    ),
    text: text(['{{ offer.label }}. {{ offer.description }}', 'While stocks last.'], 'Visit the store'),
    sms: '{{ store.name }}: {{ offer.label }}, {{ customer.first_name }}. While stocks last. {{ links.shop }}',
  },
  loyalty_points: {
    subject: '{{ offer.label }}, {{ customer.first_name }}',
    preheader: 'Every purchase this week counts for more.',
    email: email(
      '{{ offer.label }}',
      ['Thanks for being a regular. Every purchase this week earns you more. {{ offer.description }}'],
      'Shop and earn',
    ),
    text: text(['Thanks for being a regular. Every purchase this week earns you more.'], 'Shop and earn'),
    sms: '{{ store.name }}: {{ offer.label }}, {{ customer.first_name }}. {{ links.shop }}',
  },
  tasting_invite: {
    subject: "You're invited: a {{ customer.primary_category }} tasting at {{ store.name }}",
    preheader: 'Taste before you buy, on us.',
    email: email(
      'Join us for a tasting',
      [
        'We are pouring {{ customer.primary_category }} in store this week and would love to see you. {{ offer.description }}',
        'Tastings are for guests of legal drinking age; please bring ID.',
      ],
      'Save your spot',
    ),
    text: text(
      [
        'We are pouring {{ customer.primary_category }} in store this week and would love to see you.',
        'Tastings are for guests of legal drinking age; please bring ID.',
      ],
      'Save your spot',
    ),
    sms: '{{ store.name }}: join our {{ customer.primary_category }} tasting this week, {{ customer.first_name }}. ID required. {{ links.shop }}',
  },
  none: {
    subject: "What's new at {{ store.name }}",
    preheader: 'New on our shelves this week.',
    email: email(
      "What's new this week",
      ['Here is what just arrived in {{ customer.primary_category }} and beyond. Come and have a look.'],
      'Browse the shelves',
    ),
    text: text(['Here is what just arrived in {{ customer.primary_category }} and beyond.'], 'Browse the shelves'),
    sms: '{{ store.name }}: new this week in {{ customer.primary_category }}, {{ customer.first_name }}. {{ links.shop }}',
  },
};

/** A campaign's own templates, per offer (by the playbook offer's key) and for the campaign. */
export interface TemplateOverrides {
  offers?: Readonly<Record<string, MessageTemplate>>;
  campaign?: MessageTemplate;
}

/** The most specific template: the campaign's for this offer, the campaign's, the default for the kind. */
export function templateFor(
  offer: { key: string; kind: OfferKind } | null,
  overrides: TemplateOverrides = {},
): MessageTemplate {
  return (
    (offer ? overrides.offers?.[offer.key] : undefined) ?? overrides.campaign ?? defaultTemplates[offer?.kind ?? 'none']
  );
}
