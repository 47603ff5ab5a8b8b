import { Liquid, type Template } from 'liquidjs';
import type Mjml from 'mjml';
import { emailDocument, textFooter } from './layout.ts';
import { countSmsSegments, type SmsSegmentCount } from './sms-segments.ts';
import {
  liquidScope,
  recipientFields,
  sampleVariables,
  type MessageVariables,
  type RecipientFields,
  type RenderOptions,
} from './variables.ts';

/**
 * Campaign messages from Liquid templates. The e-mail layout is MJML, compiled to HTML once
 * per template (MJML takes milliseconds, far too slow per recipient); the Liquid in the
 * compiled HTML is then rendered per recipient with HTML escaping on every output, while
 * subject, plain text and SMS are rendered without it.
 */

export interface MessageTemplate {
  subject: string;
  /** The inbox preview line after the subject. */
  preheader?: string;
  /** MJML: `<mj-section>`s for the standard layout, or a whole `<mjml>` document. */
  email: string;
  /** The plain-text part of the e-mail. */
  text: string;
  sms: string;
}

export type TemplatePart = 'subject' | 'preheader' | 'email' | 'text' | 'sms';

export interface TemplateIssue {
  part: TemplatePart;
  message: string;
  /** Line in that part of the template, when known. */
  line?: number;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly issues: TemplateIssue[];
  constructor(issues: TemplateIssue[]) {
    super(
      `The template has errors: ${issues.map((i) => `${i.part}${i.line ? ` line ${i.line}` : ''}: ${i.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

export interface CompiledTemplate {
  readonly source: MessageTemplate;
  readonly subject: Template[];
  readonly html: Template[];
  readonly text: Template[];
  readonly sms: Template[];
}

export interface MessageWarning {
  code:
    'sms_segments' | 'no_postal_address' | 'unsubscribe_not_https' | 'subject_long' | 'html_clipped' | 'empty_subject';
  message: string;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
  sms: string;
  /** List-Unsubscribe (URL and mailto) and List-Unsubscribe-Post for one-click unsubscribe. */
  headers: Record<string, string>;
  smsSegments: SmsSegmentCount;
  warnings: MessageWarning[];
}

const limits = { parseLimit: 200_000, renderLimit: 1_000, memoryLimit: 20_000_000 };
// `templates: {}` keeps {% include %} and {% render %} away from the file system.
const common = { strictVariables: true, strictFilters: true, lenientIf: true, templates: {}, ...limits };
const htmlLiquid = new Liquid({ ...common, outputEscape: 'escape' });
const textLiquid = new Liquid(common);

function liquidLine(err: unknown): number | undefined {
  const match = /line:(\d+)/.exec(err instanceof Error ? err.message : '');
  return match ? Number(match[1]) : undefined;
}

function liquidMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/, line:\d+, col:\d+$/, '');
}

function parsePart(
  engine: Liquid,
  part: TemplatePart,
  source: string,
  issues: TemplateIssue[],
): Template[] | undefined {
  try {
    return engine.parse(source);
  } catch (err) {
    issues.push({ part, message: liquidMessage(err), line: liquidLine(err) });
    return undefined;
  }
}

// MJML and what it loads take ≈ 50 MiB of memory: the first template compiled loads it, not every
// process that imports this module (an API process mostly serves reads and may never compile one).
let mjml: Promise<typeof Mjml> | undefined;

/** The template's MJML as HTML that still holds its Liquid, or undefined when MJML found errors. */
async function compileEmail(template: MessageTemplate, issues: TemplateIssue[]): Promise<Template[] | undefined> {
  const document = emailDocument(template.email, template.preheader ?? '');
  const linesBefore = document.slice(0, document.indexOf(template.email)).split('\n').length - 1;
  const mjml2html = await (mjml ??= import('mjml').then((m) => m.default));
  const { html, errors } = await mjml2html(document, {
    validationLevel: 'soft',
    keepComments: false,
    ignoreIncludes: true,
    // No web fonts: they would load from Google on every open.
    fonts: {},
  });
  for (const e of errors) {
    issues.push({ part: 'email', message: `${e.tagName}: ${e.message}`, line: Math.max(1, e.line - linesBefore) });
  }
  return errors.length > 0 ? undefined : parsePart(htmlLiquid, 'email', html, issues);
}

/**
 * Parses and checks a template once; throws a `TemplateError` listing every problem (Liquid
 * syntax, MJML validation, unknown variables or filters), so that a broken template is
 * refused when it is saved, not discovered at send time.
 */
export async function compileTemplate(template: MessageTemplate): Promise<CompiledTemplate> {
  const issues: TemplateIssue[] = [];
  const subject = parsePart(textLiquid, 'subject', template.subject, issues);
  parsePart(textLiquid, 'preheader', template.preheader ?? '', issues);
  // Liquid errors are reported against the template's own lines, before MJML moves them.
  const email = parsePart(htmlLiquid, 'email', template.email, issues);
  const text = parsePart(textLiquid, 'text', template.text + textFooter, issues);
  const sms = parsePart(textLiquid, 'sms', template.sms, issues);
  const html = email && (await compileEmail(template, issues));

  // A trial render finds names that do not exist: strict variables and filters throw.
  const scope = liquidScope(sampleVariables, recipientFields(sampleVariables));
  for (const [part, parsed, engine] of [
    ['subject', subject, textLiquid],
    ['email', html, htmlLiquid],
    ['text', text, textLiquid],
    ['sms', sms, textLiquid],
  ] as const) {
    if (!parsed) continue;
    try {
      engine.renderSync(parsed, scope);
    } catch (err) {
      issues.push({ part, message: liquidMessage(err) });
    }
  }
  if (!subject || !html || !text || !sms || issues.length > 0) throw new TemplateError(issues);
  return { source: template, subject, html, text, sms };
}

/** Headers can carry neither line breaks (header injection) nor runs of blanks. */
export function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

function tidyText(value: string): string {
  return value
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Marketing SMS must say who is writing and how to stop (CTIA, TCPA practice); a template
 * that already does is left alone. Upper-case STOP only: "don't stop the party" is no opt-out.
 */
export function withSmsCompliance(text: string, storeName: string): string {
  let body = tidyText(text);
  if (!body.toLowerCase().includes(storeName.toLowerCase())) body = `${storeName}: ${body}`;
  if (!/\bSTOP\b/.test(body)) body = `${body} Reply STOP to opt out.`;
  return body;
}

export function listUnsubscribeHeaders(unsubscribeUrl: string, unsubscribeMailto: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl}>, <${unsubscribeMailto}>`,
    // RFC 8058: mailbox providers POST "List-Unsubscribe=One-Click" to the URL.
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** Renders every part with given recipient fields: real values, or mail-merge placeholders. */
export function renderParts(
  compiled: CompiledTemplate,
  vars: MessageVariables,
  fields: { text: RecipientFields; html: RecipientFields },
): Omit<RenderedMessage, 'smsSegments' | 'warnings'> {
  const textScope = liquidScope(vars, fields.text);
  return {
    subject: oneLine(textLiquid.renderSync(compiled.subject, textScope) as string),
    html: htmlLiquid.renderSync(compiled.html, liquidScope(vars, fields.html)) as string,
    text: tidyText(textLiquid.renderSync(compiled.text, textScope) as string) + '\n',
    sms: withSmsCompliance(textLiquid.renderSync(compiled.sms, textScope) as string, vars.store.name),
    headers: listUnsubscribeHeaders(fields.text.unsubscribe_url, fields.text.unsubscribe_mailto),
  };
}

// Gmail clips a message body beyond 102 KB and hides the rest, footer included.
const GMAIL_CLIP_BYTES = 102 * 1024;
const LONG_SUBJECT = 80;

function warningsFor(message: Omit<RenderedMessage, 'warnings'>, vars: MessageVariables): MessageWarning[] {
  const warnings: MessageWarning[] = [];
  const sms = message.smsSegments;
  if (sms.segments > 1) {
    warnings.push({
      code: 'sms_segments',
      message: `The SMS takes ${sms.segments} segments (${sms.units} ${sms.encoding === 'GSM-7' ? 'GSM-7 characters' : 'UCS-2 units'}; ${sms.perSegment} per segment)${sms.encoding === 'UCS-2' ? ' because of a character outside GSM-7, such as an emoji' : ''}.`,
    });
  }
  if (!vars.store.postalAddress.trim()) {
    warnings.push({
      code: 'no_postal_address',
      message: 'No store postal address is configured (STORE_POSTAL_ADDRESS); CAN-SPAM requires one.',
    });
  }
  if (!vars.links.unsubscribe.startsWith('https://')) {
    warnings.push({
      code: 'unsubscribe_not_https',
      message: 'One-click unsubscribe needs an https:// link (PUBLIC_URL).',
    });
  }
  if (!message.subject) warnings.push({ code: 'empty_subject', message: 'The subject is empty.' });
  if (message.subject.length > LONG_SUBJECT) {
    warnings.push({
      code: 'subject_long',
      message: `The subject has ${message.subject.length} characters; inboxes cut it off around ${LONG_SUBJECT}.`,
    });
  }
  if (Buffer.byteLength(message.html) > GMAIL_CLIP_BYTES) {
    warnings.push({ code: 'html_clipped', message: 'The HTML is over 102 KB; Gmail clips it and hides the footer.' });
  }
  return warnings;
}

export function renderMessage(
  compiled: CompiledTemplate,
  vars: MessageVariables,
  options: RenderOptions = {},
): RenderedMessage {
  const fields = recipientFields(vars, options);
  const parts = renderParts(compiled, vars, { text: fields, html: fields });
  const withCount = { ...parts, smsSegments: countSmsSegments(parts.sms) };
  return { ...withCount, warnings: warningsFor(withCount, vars) };
}
