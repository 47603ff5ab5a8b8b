import type { Response } from 'express';
import type { Channel, ChannelState, SuppressionReason } from '../data/consents.ts';

/**
 * The pages a recipient reaches from the links in a message: plain server-rendered HTML, every
 * value escaped, no script, and a policy that allows nothing but inline style and posting the
 * form back. The link's token is in the URL, so the pages are not cached or indexed.
 */

const policy =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const style = `body{font:16px/1.5 system-ui,sans-serif;color:#222;background:#f6f4f2;margin:0}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px}
h1{font-size:1.4rem;margin-top:0}button{font:inherit;padding:.5rem 1.2rem;border:0;border-radius:4px;background:#7a1f2b;color:#fff;cursor:pointer}
fieldset{border:1px solid #ddd;border-radius:4px;margin:0 0 1rem}.note{color:#6b6b6b;font-size:.9rem}.saved{color:#1d6b2f}`;

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Sends a page; `body` is HTML built with `escapeHtml` around every value. */
export function sendPage(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({ 'content-security-policy': policy, 'cache-control': 'no-store', 'x-robots-tag': 'noindex' })
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${style}</style></head>` +
        `<body><main>${body}</main></body></html>`,
    );
}

const messagesOn: Record<Channel, string> = { email: 'e-mails', sms: 'text messages' };

export function invalidLinkPage(res: Response): void {
  sendPage(
    res,
    400,
    'Link not valid',
    `<h1>This link is not valid</h1><p>It may have been cut off or changed. Use the unsubscribe link in the message itself, or reply STOP to a text message.</p>`,
  );
}

export function unsubscribeConfirmPage(
  res: Response,
  o: { storeName: string; channel: Channel; action: string; preferences: string; alreadyOut: boolean },
): void {
  const store = escapeHtml(o.storeName);
  const what = messagesOn[o.channel];
  sendPage(
    res,
    200,
    `Unsubscribe from ${o.storeName}`,
    o.alreadyOut
      ? `<h1>You are unsubscribed</h1><p>You no longer get marketing ${what} from ${store}.</p>` +
          `<p><a href="${escapeHtml(o.preferences)}">Manage all your preferences</a></p>`
      : `<h1>Unsubscribe from ${store}?</h1><p>You will no longer get marketing ${what} from ${store}.</p>` +
          `<form method="post" action="${escapeHtml(o.action)}"><button type="submit">Unsubscribe</button></form>` +
          `<p class="note">Or <a href="${escapeHtml(o.preferences)}">choose which messages you get</a>.</p>`,
  );
}

export function unsubscribedPage(res: Response, o: { storeName: string; channel: Channel; preferences: string }): void {
  const store = escapeHtml(o.storeName);
  sendPage(
    res,
    200,
    'Unsubscribed',
    `<h1>You are unsubscribed</h1><p>You will no longer get marketing ${messagesOn[o.channel]} from ${store}.</p>` +
      `<p><a href="${escapeHtml(o.preferences)}">Manage all your preferences</a></p>`,
  );
}

const channelNames: Record<Channel, string> = { email: 'E-mail', sms: 'Text messages (SMS)' };

const blocked: Record<Exclude<SuppressionReason, 'unsubscribe'>, string> = {
  sms_stop: 'You replied STOP, so we do not text this number. To get texts again, reply START to our number.',
  hard_bounce: 'Messages to this address bounced, so we no longer send to it.',
  complaint: 'A message to this address was reported as spam, so we no longer send to it.',
  manual: 'The store has blocked this address. Contact the store to change this.',
};

function channelFieldset(channel: Channel, state: ChannelState): string {
  const legend = `<legend>${channelNames[channel]}</legend>`;
  if (!state.hasAddress && channel === 'sms') {
    return `<fieldset>${legend}<p class="note">We have no phone number for you.</p></fieldset>`;
  }
  if (!state.hasAddress) {
    return `<fieldset>${legend}<p class="note">We have no e-mail address for you.</p></fieldset>`;
  }
  const subscribed = state.consent === 'opted_in' && state.suppression === null;
  // Nothing recorded yet: neither box is ticked, so saving the form records nothing for it.
  const unsubscribed = state.consent === 'opted_out' || state.suppression !== null;
  const radio = (value: 'opted_in' | 'opted_out', label: string, checked: boolean) =>
    `<label><input type="radio" name="${channel}" value="${value}"${checked ? ' checked' : ''}> ${label}</label><br>`;
  const note =
    state.suppression && state.suppression !== 'unsubscribe'
      ? `<p class="note">${escapeHtml(blocked[state.suppression])}</p>`
      : '';
  return (
    `<fieldset>${legend}` +
    radio('opted_in', `Yes, send me ${messagesOn[channel]}`, subscribed) +
    radio('opted_out', `No ${messagesOn[channel]}`, unsubscribed) +
    `${note}</fieldset>`
  );
}

export function preferencesPage(
  res: Response,
  o: { storeName: string; action: string; states: Record<Channel, ChannelState>; saved: boolean },
): void {
  const store = escapeHtml(o.storeName);
  sendPage(
    res,
    200,
    `Your preferences at ${o.storeName}`,
    `<h1>Messages from ${store}</h1>` +
      (o.saved ? `<p class="saved" role="status">Your preferences are saved.</p>` : '') +
      `<form method="post" action="${escapeHtml(o.action)}">` +
      channelFieldset('email', o.states.email) +
      channelFieldset('sms', o.states.sms) +
      `<button type="submit">Save</button></form>` +
      `<p class="note">Choosing “Yes” undoes an earlier unsubscribe. It does not undo a STOP reply to a text, ` +
      `an address that bounced or a message reported as spam: those stay blocked.</p>`,
  );
}
