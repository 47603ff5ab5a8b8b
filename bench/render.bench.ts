/**
 * Message rendering throughput, in messages per second, for one campaign template:
 *
 * - e-mail as the send activity renders it: MJML compiled once per template, then subject,
 *   HTML, text and SMS rendered per recipient with Liquid (`renderMessage`);
 * - the baseline in the same run: Liquid into the MJML source and MJML compiled per message;
 * - plain-text Liquid alone, SMS alone (render, compliance line, segment count), and the
 *   Mailgun mail-merge form (values and the provider's reproduction check) per recipient.
 *
 *   npm run bench -- render [--messages 20000] [--baseline-messages 300] [--repeat 3] [--template percent_off]
 */
import { parseArgs } from 'node:util';
import { Liquid } from 'liquidjs';
import mjml2html from 'mjml';
import { categoryFamilies } from '../domain/categories.ts';
import { emailDocument } from '../domain/messaging/layout.ts';
import {
  applyMailMerge,
  compileTemplate,
  defaultTemplates,
  mailMergeValues,
  recipientLinks,
  renderMailMerge,
  renderMessage,
  signUnsubscribeToken,
  withSmsCompliance,
  type MessageVariables,
} from '../domain/messaging/index.ts';
import { liquidScope, recipientFields } from '../domain/messaging/variables.ts';
import { Random } from './datagen/random.ts';
import type { Benchmark } from './types.ts';

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: 'string' },
      'baseline-messages': { type: 'string' },
      repeat: { type: 'string' },
      template: { type: 'string' },
    },
    strict: true,
  });
  const positive = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive whole number`);
    return n;
  };
  const template = (values.template ?? 'percent_off') as keyof typeof defaultTemplates;
  if (!(template in defaultTemplates))
    throw new RangeError(`--template must be one of ${Object.keys(defaultTemplates).join(', ')}`);
  const messages = positive('messages', values.messages, 20_000);
  return {
    messages,
    baselineMessages: Math.min(messages, positive('baseline-messages', values['baseline-messages'], 300)),
    repeat: positive('repeat', values.repeat, 3),
    template,
  };
}

const firstNames = [
  'Ada',
  'Bob',
  'Chloé',
  'Dmitri',
  'Ëlise',
  null,
  'Fatima',
  'Gus',
  "O'Brien",
  '<b>Zoe</b>',
  'Hiro 🍶',
];
const secret = 'bench-secret-of-at-least-thirty-two-characters';

function recipients(count: number): MessageVariables[] {
  const random = new Random(1);
  const issuedAt = new Date('2026-06-15T17:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const customerId = random.uuid();
    const token = signUnsubscribeToken({ customerId, channel: 'email', campaignId: null, issuedAt }, secret);
    return {
      customer: {
        firstName: firstNames[random.int(0, firstNames.length - 1)]!,
        primaryCategory: i % 7 === 0 ? null : categoryFamilies[random.int(0, categoryFamilies.length - 1)]!.key,
      },
      offer: { kind: 'percent_off', label: '15% off their favourite category', discountPct: 15 },
      store: {
        name: 'Downtown Wine & Spirits',
        postalAddress: '12 Elm Street\nSpringfield, IL 62701',
        responsibleDrinkingLine: 'Please enjoy responsibly. You must be 21 or older to purchase alcohol.',
      },
      links: recipientLinks({
        publicUrl: 'https://marketing.downtownwine.example',
        shopUrl: 'https://downtownwine.example/shop?utm_source=email',
        token,
        unsubscribeMailbox: 'unsubscribe@mg.downtownwine.example',
      }),
    };
  });
}

/** Messages per second of the fastest of `repeat` runs (the least disturbed by other load). */
async function throughput(repeat: number, count: number, work: (i: number) => unknown) {
  const times: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) await work(i);
    times.push((performance.now() - started) / 1000);
  }
  const fastest = Math.min(...times);
  return {
    messages: count,
    messagesPerSecond: Math.round(count / fastest),
    microsecondsPerMessage: Math.round((fastest / count) * 1e6 * 10) / 10,
    slowestMessagesPerSecond: Math.round(count / Math.max(...times)),
  };
}

const render: Benchmark = async (ctx) => {
  const { messages, baselineMessages, repeat, template: kind } = options(ctx.args);
  const template = defaultTemplates[kind];
  const people = recipients(messages);

  let started = performance.now();
  const compiled = await compileTemplate(template);
  const compileMs = Math.round((performance.now() - started) * 10) / 10;

  // Warm both paths so that neither pays the JIT's first runs inside the measurement.
  for (let i = 0; i < 200; i++) renderMessage(compiled, people[i % people.length]!);
  const naive = new Liquid({ outputEscape: 'escape', strictVariables: true, templates: {} });
  const mjmlSource = naive.parse(emailDocument(template.email, template.preheader ?? ''));
  const textSource = naive.parse(template.text);
  const plain = new Liquid({ strictVariables: true, templates: {} });
  const textOnly = plain.parse(template.text);
  const smsOnly = plain.parse(template.sms);

  const scopeOf = (v: MessageVariables) => liquidScope(v, recipientFields(v));
  const compiledOnce = await throughput(repeat, messages, (i) => renderMessage(compiled, people[i]!));
  const mjmlPerMessage = await throughput(repeat, baselineMessages, async (i) => {
    const scope = scopeOf(people[i]!);
    const { html } = await mjml2html(naive.renderSync(mjmlSource, scope) as string, {
      validationLevel: 'skip',
      keepComments: false,
      fonts: {},
    });
    return [html, naive.renderSync(textSource, scope)];
  });
  const text = await throughput(repeat, messages, (i) => plain.renderSync(textOnly, scopeOf(people[i]!)));
  const sms = await throughput(repeat, messages, (i) => {
    const v = people[i]!;
    return withSmsCompliance(plain.renderSync(smsOnly, scopeOf(v)) as string, v.store.name);
  });

  started = performance.now();
  const merge = renderMailMerge(compiled, people[0]!);
  const mailMergeTemplateMs = Math.round((performance.now() - started) * 10) / 10;
  const mailMerge = await throughput(repeat, messages, (i) => applyMailMerge(merge, mailMergeValues(people[i]!)));
  const sample = renderMessage(compiled, people[1]!);

  return {
    template: kind,
    repeat,
    timing: 'fastest of `repeat` runs; one message = subject + HTML + text + SMS unless said otherwise',
    compileTemplateMs: compileMs,
    htmlBytes: Buffer.byteLength(sample.html),
    email: {
      mjmlCompiledOncePerTemplate: compiledOnce,
      baselineMjmlCompiledPerMessage: {
        ...mjmlPerMessage,
        what: 'Liquid into the MJML source, then mjml2html, plus the text part',
      },
      speedup: Math.round((compiledOnce.messagesPerSecond / mjmlPerMessage.messagesPerSecond) * 10) / 10,
    },
    plainTextLiquid: text,
    sms: { ...sms, segmentsOfSample: sample.smsSegments },
    mailMerge: {
      ...mailMerge,
      templateMs: mailMergeTemplateMs,
      what: 'recipient values + the provider’s reproduction check',
    },
  };
};

export default render;
