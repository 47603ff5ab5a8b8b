/** The sandbox outbox (api/routes/outbox.ts): what would have gone to Mailgun or Twilio. */

export interface OutboxItem {
  id: string;
  channel: 'email' | 'sms';
  to: string;
  from: string | null;
  subject: string | null;
  text: string | null;
  providerMessageId: string | null;
  sendId: string | null;
  createdAt: string;
}

export interface OutboxMessage extends OutboxItem {
  html: string | null;
  headers: Record<string, string> | null;
}

/**
 * The e-mail as the customer's mail client would show it, for an iframe's `srcdoc`: the sandbox
 * attribute already forbids scripts, and this CSP forbids them again along with any fetch except
 * images, so a crafted message cannot act as the app. Links open outside the frame.
 */
export function emailDocument(html: string): string {
  const head =
    `<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src https: data:; style-src 'unsafe-inline'">` +
    '<base target="_blank">';
  return /<head[^>]*>/i.test(html)
    ? html.replace(/<head[^>]*>/i, (m) => m + head)
    : `<!doctype html><html><head>${head}</head><body>${html}</body></html>`;
}

/** SMS segments as a phone counts them: GSM-7 texts in 160/153 characters, others in 70/67. */
export function smsSegments(text: string): number {
  const gsm = /^[\n\r\x20-\x7E£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(text);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const length = [...text].length;
  return length <= single ? 1 : Math.ceil(length / multi);
}
