import { createHash } from 'node:crypto';
import { renderParts, type CompiledTemplate } from './render.ts';
import { recipientFields, type MessageVariables, type RecipientFields, type RenderOptions } from './variables.ts';

/**
 * Mailgun batch sending: one API call carries up to 1,000 recipients, one message body with
 * `%recipient.key%` placeholders, and each recipient's values. The body is rendered once with
 * placeholders in place of the per-recipient fields; HTML placeholders get `_html` values,
 * escaped exactly as Liquid escapes them.
 *
 * A template may do more with a recipient's field than print it (a filter, a condition); then
 * the merge would differ from the real render. `applyMailMerge` lets the provider check, for
 * each recipient, that the merge reproduces the rendered message, and send it alone otherwise.
 */

export interface MailMergeTemplate {
  /** Hash of the content: messages with the same key share one body. */
  key: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

export type MailMergeValues = Record<string, string>;

const fieldNames: readonly (keyof RecipientFields)[] = [
  'first_name',
  'primary_category',
  'unsubscribe_url',
  'unsubscribe_mailto',
  'preferences_url',
  'shop_url',
];

const placeholder = (name: string) => `%recipient.${name}%`;

function placeholders(suffix: string): RecipientFields {
  return Object.fromEntries(fieldNames.map((f) => [f, placeholder(f + suffix)])) as unknown as RecipientFields;
}

/** LiquidJS's `escape`, which `outputEscape: 'escape'` applies to every HTML output. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

/** The shared body for everyone receiving this template with these campaign-level variables. */
export function renderMailMerge(compiled: CompiledTemplate, vars: MessageVariables): MailMergeTemplate {
  const parts = renderParts(compiled, vars, { text: placeholders(''), html: placeholders('_html') });
  const { subject, html, text, headers } = parts;
  const key = createHash('sha256')
    .update(JSON.stringify([subject, html, text, headers]))
    .digest('base64url');
  return { key, subject, html, text, headers };
}

/** One recipient's values for the placeholders. */
export function mailMergeValues(vars: MessageVariables, options: RenderOptions = {}): MailMergeValues {
  const fields = recipientFields(vars, options);
  const values: MailMergeValues = {};
  for (const name of fieldNames) {
    values[name] = fields[name];
    values[`${name}_html`] = escapeHtml(fields[name]);
  }
  return values;
}

/** What Mailgun does with a recipient's variables: one pass, no placeholder inside a value expands. */
export function substituteRecipientVariables(text: string, values: Record<string, string>): string {
  return text.replace(/%recipient\.([A-Za-z0-9_:-]+)%/g, (match, name: string) => values[name] ?? match);
}

/**
 * Whether Mailgun's substitution of these values into the shared body gives exactly the message
 * rendered for this recipient: the proof a message may go in a batch rather than alone.
 */
export function mailMergeReproduces(
  mailMerge: { template: Omit<MailMergeTemplate, 'key'>; values: MailMergeValues },
  rendered: { subject: string; html: string; text: string; headers: Record<string, string> },
): boolean {
  const merged = applyMailMerge(mailMerge.template, mailMerge.values);
  const names = Object.keys(rendered.headers);
  return (
    merged.subject === rendered.subject &&
    merged.html === rendered.html &&
    merged.text === rendered.text &&
    names.length === Object.keys(merged.headers).length &&
    names.every((name) => merged.headers[name] === rendered.headers[name])
  );
}

export function applyMailMerge(
  template: Omit<MailMergeTemplate, 'key'>,
  values: MailMergeValues,
): { subject: string; html: string; text: string; headers: Record<string, string> } {
  return {
    subject: substituteRecipientVariables(template.subject, values),
    html: substituteRecipientVariables(template.html, values),
    text: substituteRecipientVariables(template.text, values),
    headers: Object.fromEntries(
      Object.entries(template.headers).map(([name, value]) => [name, substituteRecipientVariables(value, values)]),
    ),
  };
}
