import {
  recipientLinks,
  signUnsubscribeToken,
  type MessageVariables,
  type OfferKind,
} from '../../domain/messaging/index.ts';
import { clickLinkKey, trackedLink } from '../../domain/messaging/click-token.ts';
import type { Config } from '../../platform/config.ts';

/**
 * The variables of one recipient's message, built the same way for the campaign send and for
 * the marketer's preview: what the preview shows is what the customer gets, links included.
 */

/** What every message says about the store and where its links point. */
export interface MessageSettings {
  publicUrl: string;
  shopUrl: string;
  unsubscribeMailbox: string;
  unsubscribeSecret: string;
  store: MessageVariables['store'];
}

export type MessageConfig = Pick<
  Config,
  'publicUrl' | 'MAILGUN_DOMAIN' | 'STORE_NAME' | 'STORE_POSTAL_ADDRESS' | 'RESPONSIBLE_DRINKING_LINE'
>;

export function messageSettings(cfg: MessageConfig, unsubscribeSecret: string): MessageSettings {
  return {
    publicUrl: cfg.publicUrl,
    shopUrl: cfg.publicUrl,
    unsubscribeMailbox: `unsubscribe@${cfg.MAILGUN_DOMAIN ?? new URL(cfg.publicUrl).hostname}`,
    unsubscribeSecret,
    store: {
      name: cfg.STORE_NAME,
      postalAddress: cfg.STORE_POSTAL_ADDRESS,
      responsibleDrinkingLine: cfg.RESPONSIBLE_DRINKING_LINE,
    },
  };
}

/** An action's offer, as the planner stores it. */
export interface ActionOffer {
  key: string;
  label: string;
  kind: OfferKind;
  discountPct?: number;
}

export interface MessageRecipient {
  customerId: string;
  /** The channel the message goes out on: its unsubscribe link opts out of this one. */
  channel: 'email' | 'sms';
  campaignId: string | null;
  firstName: string | null;
  /** From `customer_scores`; null before the customer is scored. */
  primaryCategory: string | null;
  /**
   * The ledger row of a real send. An e-mail's shop link then goes through our click redirect
   * (`/r/:token`), which records the click against this row; a preview's links stay direct.
   */
  sendId?: string;
}

export function messageVariables(
  settings: MessageSettings,
  recipient: MessageRecipient,
  offer: ActionOffer,
  issuedAt: Date = new Date(),
): MessageVariables {
  const token = signUnsubscribeToken(
    { customerId: recipient.customerId, channel: recipient.channel, campaignId: recipient.campaignId, issuedAt },
    settings.unsubscribeSecret,
  );
  const links = recipientLinks({
    publicUrl: settings.publicUrl,
    shopUrl: settings.shopUrl,
    token,
    unsubscribeMailbox: settings.unsubscribeMailbox,
  });
  if (recipient.sendId !== undefined && recipient.channel === 'email') {
    links.shop = trackedLink(
      settings.publicUrl,
      { sendId: recipient.sendId, url: links.shop },
      clickLinkKey(settings.unsubscribeSecret),
    );
  }
  return {
    customer: { firstName: recipient.firstName, primaryCategory: recipient.primaryCategory },
    offer: { kind: offer.kind, label: offer.label, discountPct: offer.discountPct },
    store: settings.store,
    links,
  };
}
