import { describe, expect, it } from 'vitest';
import { offerKinds } from '../segments/playbooks.ts';
import { defaultTemplates, templateFor } from './default-templates.ts';
import { recipientLinks } from './links.ts';
import { compileTemplate, renderMessage, TemplateError, type MessageTemplate } from './render.ts';
import type { MessageVariables } from './variables.ts';

function vars(
  patch: Partial<MessageVariables> = {},
  customer: Partial<MessageVariables['customer']> = {},
): MessageVariables {
  return {
    customer: { firstName: 'Ada', primaryCategory: 'whiskey', ...customer },
    offer: { kind: 'percent_off', label: '15% off their favourite category', discountPct: 15 },
    store: {
      name: 'Bottle Shop',
      postalAddress: '12 Elm Street\nSpringfield, IL 62701',
      responsibleDrinkingLine: 'Please enjoy responsibly.',
    },
    links: recipientLinks({
      publicUrl: 'https://marketing.example.com/',
      shopUrl: 'https://shop.example.com/?utm_source=email&utm_campaign="fall"',
      token: 'TOKEN123',
      unsubscribeMailbox: 'unsubscribe@mg.example.com',
    }),
    ...patch,
  };
}

const bare: MessageTemplate = {
  subject: 'Hello {{ customer.first_name }}',
  email: '<mj-section><mj-column><mj-text>Hi {{ customer.first_name }}</mj-text></mj-column></mj-section>',
  text: 'Hi {{ customer.first_name }}',
  sms: 'Hi {{ customer.first_name }}, new bottles are in.',
};

async function issuesOf(template: MessageTemplate) {
  try {
    await compileTemplate(template);
  } catch (err) {
    if (err instanceof TemplateError) return err.issues;
    throw err;
  }
  throw new Error('the template compiled');
}

describe('renderMessage', () => {
  it.each(offerKinds)('renders the default %s template with footer, headers and SMS opt-out', async (kind) => {
    const compiled = await compileTemplate(defaultTemplates[kind]);
    const offer = { kind, label: 'Double loyalty points this week', discountPct: 15, amountOff: 10 };
    const message = renderMessage(compiled, vars({ offer }));
    expect(message.subject).not.toBe('');
    expect(message.subject).not.toMatch(/\{\{|%recipient/);
    expect(message.html).toContain('<!doctype html>');
    expect(message.html).toContain('https://marketing.example.com/api/unsubscribe/TOKEN123');
    expect(message.html).toContain('12 Elm Street<br />\nSpringfield, IL 62701');
    expect(message.html).toContain('Please enjoy responsibly.');
    expect(message.text).toContain('Unsubscribe: https://marketing.example.com/api/unsubscribe/TOKEN123');
    expect(message.sms).toMatch(/^Bottle Shop: /);
    expect(message.sms).toMatch(/Reply STOP to opt out\.$/);
    expect(message.warnings.filter((w) => w.code !== 'sms_segments')).toEqual([]);
  });

  it('escapes a first name in the HTML but not in the subject, text or SMS', async () => {
    const compiled = await compileTemplate(bare);
    const name = '<script>alert("x")</script>';
    const message = renderMessage(compiled, vars({}, { firstName: name }));
    expect(message.html).toContain('Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
    expect(message.html).not.toContain('<script>');
    expect(message.subject).toBe(`Hello ${name}`);
    expect(message.text).toContain(`Hi ${name}`);
    expect(message.sms).toContain(`Hi ${name}`);
  });

  it('escapes links inside attributes', async () => {
    const message = renderMessage(await compileTemplate(defaultTemplates.none), vars());
    expect(message.html).toContain('href="https://shop.example.com/?utm_source=email&amp;utm_campaign=&#34;fall&#34;"');
  });

  it('keeps a subject on one line whatever a name contains', async () => {
    const message = renderMessage(await compileTemplate(bare), vars({}, { firstName: 'Ada\r\nBcc: all@example.com' }));
    expect(message.subject).toBe('Hello Ada Bcc: all@example.com');
  });

  it('adds the footer and unsubscribe headers to a template that leaves them out', async () => {
    const message = renderMessage(await compileTemplate(bare), vars());
    expect(message.html).toContain('href="https://marketing.example.com/api/unsubscribe/TOKEN123"');
    expect(message.html).toContain('href="https://marketing.example.com/preferences/TOKEN123"');
    expect(message.html).toContain('12 Elm Street');
    expect(message.html).toContain('Please enjoy responsibly.');
    expect(message.text).toContain('12 Elm Street\nSpringfield, IL 62701');
    expect(message.text).toContain('Please enjoy responsibly.');
    expect(message.headers).toEqual({
      'List-Unsubscribe':
        '<https://marketing.example.com/api/unsubscribe/TOKEN123>, <mailto:unsubscribe@mg.example.com?subject=unsubscribe%20TOKEN123>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('adds the footer to a whole MJML document too', async () => {
    const template: MessageTemplate = {
      ...bare,
      email: `<mjml><mj-body><mj-section><mj-column><mj-text>Own layout</mj-text></mj-column></mj-section></mj-body></mjml>`,
    };
    const message = renderMessage(await compileTemplate(template), vars());
    expect(message.html).toContain('Own layout');
    expect(message.html).toContain('/api/unsubscribe/TOKEN123');
    expect(message.html.indexOf('Own layout')).toBeLessThan(message.html.indexOf('/api/unsubscribe/'));
  });

  it('falls back when the first name or category is missing, and names categories as marketers do', async () => {
    const template: MessageTemplate = {
      ...bare,
      subject: '{{ customer.first_name }}: {{ customer.primary_category }}',
    };
    const compiled = await compileTemplate(template);
    expect(renderMessage(compiled, vars({}, { firstName: '  ', primaryCategory: null })).subject).toBe(
      'there: your favourites',
    );
    expect(renderMessage(compiled, vars({}, { primaryCategory: 'tequila_mezcal' })).subject).toBe(
      'Ada: Tequila & mezcal',
    );
    expect(renderMessage(compiled, vars({}, { firstName: null }), { firstNameFallback: 'friend' }).subject).toBe(
      'friend: Whiskey',
    );
  });

  it.each([
    [{ kind: 'percent_off', label: 'x', discountPct: 15 }, '15%'],
    [{ kind: 'amount_off', label: 'x', amountOff: 10 }, '$10'],
    [{ kind: 'amount_off', label: 'x', amountOff: 7.5 }, '$7.50'],
    [{ kind: 'amount_off', label: 'x', amountOff: 5, currency: 'EUR' }, '€5'],
    [{ kind: 'early_access', label: 'x' }, ''],
  ] as const)('formats the discount of %o as "%s"', async (offer, discount) => {
    const compiled = await compileTemplate({ ...bare, subject: '[{{ offer.discount }}]' });
    expect(renderMessage(compiled, vars({ offer })).subject).toBe(`[${discount}]`);
  });

  it('puts the store name and the opt-out in an SMS once', async () => {
    const compiled = await compileTemplate({ ...bare, sms: 'Bottle Shop: new bottles. Text STOP to quit.' });
    expect(renderMessage(compiled, vars()).sms).toBe('Bottle Shop: new bottles. Text STOP to quit.');
    const plain = await compileTemplate({ ...bare, sms: "Don't stop now, {{ customer.first_name }}!" });
    expect(renderMessage(plain, vars()).sms).toBe("Bottle Shop: Don't stop now, Ada! Reply STOP to opt out.");
  });

  it('warns when an SMS needs more than one segment', async () => {
    const compiled = await compileTemplate({ ...bare, sms: 'Cheers 🍷 {{ offer.label }} {{ offer.label }}' });
    const message = renderMessage(compiled, vars());
    expect(message.smsSegments).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(message.warnings).toContainEqual(expect.objectContaining({ code: 'sms_segments' }));
    const short = renderMessage(await compileTemplate(bare), vars());
    expect(short.smsSegments).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(short.warnings).toEqual([]);
  });

  it('warns about a missing postal address and a plain-http unsubscribe link', async () => {
    const message = renderMessage(
      await compileTemplate(bare),
      vars({
        store: { name: 'Bottle Shop', postalAddress: ' ', responsibleDrinkingLine: '' },
        links: recipientLinks({
          publicUrl: 'http://localhost:3000',
          shopUrl: 'http://localhost',
          token: 't',
          unsubscribeMailbox: 'u@localhost',
        }),
      }),
    );
    expect(message.warnings.map((w) => w.code).sort()).toEqual(['no_postal_address', 'unsubscribe_not_https']);
  });
});

describe('compileTemplate', () => {
  it('surfaces MJML validation errors with the line in the template', async () => {
    const issues = await issuesOf({
      ...bare,
      email: '<mj-section>\n  <mj-text>Not in a column</mj-text>\n</mj-section>',
    });
    expect(issues).toEqual([
      { part: 'email', line: 2, message: expect.stringContaining('mj-text cannot be used inside mj-section') },
    ]);
  });

  it('surfaces illegal MJML attributes', async () => {
    const issues = await issuesOf({
      ...bare,
      email: '<mj-section><mj-column><mj-image src="x.png" colour="red" /></mj-column></mj-section>',
    });
    expect(issues).toEqual([{ part: 'email', line: 1, message: 'mj-image: Attribute colour is illegal' }]);
  });

  it('reports Liquid syntax errors by part and line', async () => {
    const issues = await issuesOf({ ...bare, subject: 'Hi', text: 'one\n{% if customer.first_name %}never closed' });
    expect(issues).toEqual([{ part: 'text', line: 2, message: expect.stringContaining('not closed') }]);
  });

  it('refuses unknown variables and filters', async () => {
    const issues = await issuesOf({ ...bare, subject: '{{ customer.frist_name }}', sms: '{{ offer.label | shout }}' });
    expect(issues.map((i) => i.part).sort()).toEqual(['sms', 'subject']);
    expect(issues.find((i) => i.part === 'subject')?.message).toContain('undefined variable: customer.frist_name');
    expect(issues.find((i) => i.part === 'sms')?.message).toContain('undefined filter: shout');
  });

  it('cannot read files with include', async () => {
    const issues = await issuesOf({ ...bare, text: '{% include "package.json" %}' });
    expect(issues).toEqual([{ part: 'text', message: expect.stringContaining('Failed to lookup "package.json"') }]);
  });
});

describe('templateFor', () => {
  const own = { ...bare, subject: 'campaign' };
  const forOffer = { ...bare, subject: 'offer' };

  it('picks the offer template, then the campaign template, then the default for the kind', () => {
    const offer = { key: 'winback_15', kind: 'percent_off' } as const;
    expect(templateFor(offer, { offers: { winback_15: forOffer }, campaign: own })).toBe(forOffer);
    expect(templateFor(offer, { offers: { other: forOffer }, campaign: own })).toBe(own);
    expect(templateFor(offer)).toBe(defaultTemplates.percent_off);
    expect(templateFor(null)).toBe(defaultTemplates.none);
  });
});
