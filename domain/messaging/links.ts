import type { MessageVariables } from './variables.ts';

/**
 * Where a recipient's links point. The unsubscribe URL answers GET (a confirmation page) and
 * POST (RFC 8058 one-click, body `List-Unsubscribe=One-Click`); the preferences page lets
 * them choose channels instead of leaving altogether.
 */
export const UNSUBSCRIBE_PATH = '/api/unsubscribe/';
export const PREFERENCES_PATH = '/preferences/';

export function recipientLinks(opts: {
  publicUrl: string;
  shopUrl: string;
  /** From `signUnsubscribeToken`. */
  token: string;
  /** A mailbox that unsubscribes whoever writes to it, e.g. unsubscribe@mg.example.com. */
  unsubscribeMailbox: string;
}): MessageVariables['links'] {
  const base = opts.publicUrl.replace(/\/+$/, '');
  return {
    shop: opts.shopUrl,
    unsubscribe: `${base}${UNSUBSCRIBE_PATH}${opts.token}`,
    unsubscribeMailto: `mailto:${opts.unsubscribeMailbox}?subject=${encodeURIComponent(`unsubscribe ${opts.token}`)}`,
    preferences: `${base}${PREFERENCES_PATH}${opts.token}`,
  };
}
