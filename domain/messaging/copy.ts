import { Liquid, type Template } from 'liquidjs';
import {
  compileTemplate,
  renderMessage,
  TemplateError,
  type CompiledTemplate,
  type MessageTemplate,
  type TemplatePart,
} from './render.ts';
import { sampleVariables } from './variables.ts';

/**
 * Campaign copy: the subject, body and SMS written for one segment of a campaign — by the
 * planner or by a marketer — as plain text with a few Liquid variables. The copy is only the
 * words: `copyTemplate` places them in the standard e-mail layout, and the renderer adds what
 * every message carries (footer, unsubscribe links and List-Unsubscribe headers, the store name
 * and "Reply STOP" in SMS) and escapes everything that goes into HTML.
 *
 * Copy uses flat names (`{{ first_name }}`), the words of the marketer's editor; they stand for
 * the message variables in COPY_VARIABLES. The body is text: blank lines separate paragraphs,
 * and any markup in it is shown as written, never interpreted.
 */

export interface CampaignCopyText {
  subject: string;
  body: string;
  sms: string;
}

export type CopyField = keyof CampaignCopyText;

export interface CopyIssue {
  field: CopyField;
  message: string;
}

/** The variables copy may use, and the message variable each one stands for. */
export const COPY_VARIABLES = {
  first_name: 'customer.first_name',
  primary_category: 'customer.primary_category',
  offer_label: 'offer.label',
  offer_discount: 'offer.discount',
  store_name: 'store.name',
  shop_url: 'links.shop',
} as const;

export type CopyVariable = keyof typeof COPY_VARIABLES;

export const COPY_LIMITS = {
  /** Characters of the copy as written (Liquid included). */
  subject: 150,
  body: 5_000,
  sms: 480,
  /** Segments of the SMS as sent: store name and opt-out line included. */
  smsSegments: 2,
} as const;

const FIELDS: readonly CopyField[] = ['subject', 'body', 'sms'];

// Assigns produce no output; they give the copy's names their values in every part.
const prelude = Object.entries(COPY_VARIABLES)
  .map(([name, path]) => `{% assign ${name} = ${path} %}`)
  .join('');

const liquidMarkup = /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\})/;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The body as one `<mj-text>`: text between Liquid tags is escaped (outputs are escaped when
 * rendered), a blank line separates paragraphs and a single line break stays one. One element,
 * so that a Liquid block spanning paragraphs can never leave unbalanced HTML behind.
 */
function bodyHtml(body: string): string {
  const text = (piece: string) =>
    piece
      .split(/\n[ \t]*\n\s*/)
      .map((paragraph) => escapeText(paragraph).replace(/\n/g, '<br />\n'))
      .join('<br /><br />\n');
  const html = body
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(liquidMarkup)
    .map((piece, i) => (i % 2 === 1 ? piece : text(piece)))
    .join('');
  return `    <mj-text>${html}</mj-text>`;
}

/** The message template a segment's copy becomes: the standard layout with a shop button. */
export function copyTemplate(copy: CampaignCopyText): MessageTemplate {
  return {
    subject: prelude + copy.subject,
    email: `<mj-section background-color="#ffffff" padding="28px 0 8px">
  <mj-column>
    <mj-text font-size="13px" color="#7a1f2b" text-transform="uppercase" letter-spacing="1px">${prelude}{{ store.name }}</mj-text>
${bodyHtml(copy.body)}
    <mj-button href="{{ links.shop }}">Shop now</mj-button>
  </mj-column>
</mj-section>`,
    text: `${prelude}${copy.body}\n\nShop now: {{ links.shop }}`,
    sms: prelude + copy.sms,
  };
}

/** Compiles copy for sending; throws a TemplateError for copy that `checkCopy` would refuse. */
export function compileCopy(copy: CampaignCopyText): Promise<CompiledTemplate> {
  return compileTemplate(copyTemplate(copy));
}

const copyLiquid = new Liquid({
  strictVariables: true,
  strictFilters: true,
  templates: {},
  parseLimit: 50_000,
  renderLimit: 1_000,
  memoryLimit: 5_000_000,
});

const sampleScope: Record<CopyVariable, string> = {
  first_name: 'Alex',
  primary_category: 'Whiskey',
  offer_label: '15% off their favourite category',
  offer_discount: '15%',
  store_name: sampleVariables.store.name,
  shop_url: sampleVariables.links.shop,
};

const known = new Set<string>(Object.keys(COPY_VARIABLES));
const allowed = Object.keys(COPY_VARIABLES)
  .map((v) => `{{ ${v} }}`)
  .join(', ');

function liquidMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/, line:\d+, col:\d+$/, '');
}

/** One field as Liquid: syntax, names (in every branch, taken or not), and a trial render. */
function checkLiquid(field: CopyField, source: string, issues: CopyIssue[]): void {
  let parsed: Template[];
  try {
    parsed = copyLiquid.parse(source);
  } catch (err) {
    issues.push({ field, message: liquidMessage(err) });
    return;
  }
  // Copy is self-contained: it may not pull in other templates (or files).
  if (/\{%-?\s*(include|render|layout)\b/.test(source)) {
    issues.push({ field, message: 'copy cannot include other templates' });
    return;
  }
  let unknown: Set<string>;
  try {
    unknown = new Set(
      copyLiquid
        .globalVariableSegmentsSync(parsed)
        .filter((segments) => segments.length !== 1 || !known.has(String(segments[0])))
        .map((segments) => segments.join('.')),
    );
  } catch (err) {
    issues.push({ field, message: liquidMessage(err) });
    return;
  }
  for (const name of unknown) {
    issues.push({ field, message: `unknown variable {{ ${name} }}; copy may use ${allowed}` });
  }
  // Copy is text: `raw` would let markup into the e-mail unescaped.
  if (/\|\s*raw\b/.test(source)) issues.push({ field, message: 'the raw filter is not allowed in copy' });
  if (unknown.size > 0) return;
  try {
    copyLiquid.renderSync(parsed, sampleScope);
  } catch (err) {
    issues.push({ field, message: liquidMessage(err) });
  }
}

// Which field of the copy each part of the template built from it comes from.
const partField: Record<TemplatePart, CopyField> = {
  subject: 'subject',
  preheader: 'body',
  email: 'body',
  text: 'body',
  sms: 'sms',
};

/**
 * Every reason the copy cannot be used, or none: empty or over-long fields, a subject over
 * several lines, Liquid that does not parse, names other than COPY_VARIABLES, HTML in the SMS,
 * and an SMS over COPY_LIMITS.smsSegments segments once the store name and the opt-out line
 * are added (counted with sample values; `storeName` is the store's, when known).
 */
export async function checkCopy(copy: CampaignCopyText, options: { storeName?: string } = {}): Promise<CopyIssue[]> {
  const issues: CopyIssue[] = [];
  for (const field of FIELDS) {
    const value = copy[field];
    if (value.trim() === '') issues.push({ field, message: 'must not be empty' });
    else if (value.length > COPY_LIMITS[field]) {
      issues.push({ field, message: `at most ${COPY_LIMITS[field]} characters (has ${value.length})` });
    } else checkLiquid(field, value, issues);
  }
  if (/[\r\n]/.test(copy.subject)) issues.push({ field: 'subject', message: 'a subject is one line' });
  if (/<\/?[a-z!][^>]*>/i.test(copy.sms)) issues.push({ field: 'sms', message: 'an SMS is plain text: no HTML' });
  if (issues.length > 0) return issues;

  let compiled: CompiledTemplate;
  try {
    compiled = await compileCopy(copy);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return err.issues.map((i) => ({ field: partField[i.part], message: i.message }));
  }
  const store = { ...sampleVariables.store, name: options.storeName ?? sampleVariables.store.name };
  const sms = renderMessage(compiled, { ...sampleVariables, store }).smsSegments;
  if (sms.segments > COPY_LIMITS.smsSegments) {
    issues.push({
      field: 'sms',
      message:
        `the SMS takes ${sms.segments} segments once the store name and "Reply STOP to opt out." are added ` +
        `(${sms.units} ${sms.encoding} units, ${sms.perSegment} per segment); at most ${COPY_LIMITS.smsSegments}`,
    });
  }
  return issues;
}
