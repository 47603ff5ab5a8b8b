import { describe, expect, it } from 'vitest';
import { checkCopy, compileCopy, type CampaignCopyText } from './copy.ts';
import { renderMessage } from './render.ts';
import { sampleVariables, type MessageVariables } from './variables.ts';

const good: CampaignCopyText = {
  subject: '{{ first_name }}, {{ offer_discount }} off {{ primary_category }}',
  body: 'Hi {{ first_name }},\n\nYour {{ primary_category }} shelf misses you.\nCome by this week.\n\nSee you at {{ store_name }}.',
  sms: '{{ store_name }}: {{ offer_discount }} off {{ primary_category }} for you, {{ first_name }}. {{ shop_url }}',
};

const vars = (firstName: string | null): MessageVariables => ({
  ...sampleVariables,
  customer: { firstName, primaryCategory: 'whiskey' },
});

describe('campaign copy', () => {
  it('accepts copy that uses the copy variables', async () => {
    expect(await checkCopy(good)).toEqual([]);
  });

  it('becomes a message in the standard layout with the footer, headers and SMS opt-out', async () => {
    const m = renderMessage(await compileCopy(good), vars('Pat'));
    expect(m.subject).toBe('Pat, 15% off Whiskey');
    expect(m.html).toContain(
      'Hi Pat,<br /><br />\nYour Whiskey shelf misses you.<br />\nCome by this week.<br /><br />\nSee you at Sample',
    );
    expect(m.html).toContain(sampleVariables.store.postalAddress);
    expect(m.html).toContain(`href="${sampleVariables.links.unsubscribe}"`);
    expect(m.text).toContain('See you at Sample Liquor Store.');
    expect(m.text).toContain(`Shop now: ${sampleVariables.links.shop}`);
    expect(m.text).toContain(`Unsubscribe: ${sampleVariables.links.unsubscribe}`);
    expect(m.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(m.sms).toBe(
      `Sample Liquor Store: 15% off Whiskey for you, Pat. ${sampleVariables.links.shop} Reply STOP to opt out.`,
    );
  });

  it('shows markup in the body and in values as text, never as HTML', async () => {
    const copy = { ...good, body: 'Hi {{ first_name }},\n\n<b>Bold</b> & <script>x()</script> {{ offer_label }}' };
    expect(await checkCopy(copy)).toEqual([]);
    const m = renderMessage(await compileCopy(copy), vars('<img src=x>'));
    expect(m.html).toContain('Hi &lt;img src=x&gt;,');
    expect(m.html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;');
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('<img src=x>');
  });

  it('keeps the HTML whole when a Liquid condition spans paragraphs', async () => {
    const copy = { ...good, body: 'Hi {{ first_name }},{% if first_name == "there" %}\n\nWelcome!{% endif %}\n\nBye.' };
    expect(await checkCopy(copy)).toEqual([]);
    const compiled = await compileCopy(copy);
    const named = renderMessage(compiled, vars('Pat')).html;
    const unnamed = renderMessage(compiled, vars(null)).html;
    expect(named).toContain('Hi Pat,<br /><br />\nBye.</div>');
    expect(unnamed).toContain('Hi there,<br /><br />\nWelcome!<br /><br />\nBye.</div>');
    const tags = (html: string) => html.match(/<\/?(div|td|tr|table)\b/g)!.length;
    expect(tags(named)).toBe(tags(unnamed));
  });

  it.each([
    ['an unknown variable', { subject: 'Hi {{ last_name }}' }, 'subject', /unknown variable \{\{ last_name \}\}/],
    [
      'a template variable instead of a copy variable',
      { body: 'Hi {{ customer.first_name }}' },
      'body',
      /unknown variable \{\{ customer\.first_name \}\}/,
    ],
    [
      'an unknown variable in a branch not taken',
      { body: '{% if false %}{{ email }}{% endif %}Hi' },
      'body',
      /unknown variable \{\{ email \}\}/,
    ],
    ['an unknown filter', { subject: '{{ first_name | shout }}' }, 'subject', /undefined filter: shout/],
    ['broken Liquid', { body: 'Hi {{ first_name' }, 'body', /not closed/],
    ['the raw filter', { body: '{{ offer_label | raw }}' }, 'body', /raw filter/],
    ['HTML in the SMS', { sms: '<b>20% off</b> {{ shop_url }}' }, 'sms', /no HTML/],
    ['an empty subject', { subject: '  ' }, 'subject', /must not be empty/],
    ['a subject over two lines', { subject: 'Hello\nthere' }, 'subject', /one line/],
    ['an SMS of three segments', { sms: 'Great news. '.repeat(24) }, 'sms', /takes 3 segments.*at most 2/],
    ['an emoji SMS of three segments', { sms: '🥃 Cheers! '.repeat(13) }, 'sms', /takes 3 segments.*\(\d+ UCS-2 units/],
  ] as const)('refuses %s', async (_what, change, field, message) => {
    const issues = await checkCopy({ ...good, ...change });
    expect(issues).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('counts the SMS with the store’s own name, which the opt-out line adds when missing', async () => {
    const sms = 'x'.repeat(260);
    expect(await checkCopy({ ...good, sms }, { storeName: 'Bob' })).toEqual([]);
    const long = await checkCopy({ ...good, sms }, { storeName: 'The Very Long Name Of A Liquor Store' });
    expect(long).toEqual([{ field: 'sms', message: expect.stringMatching(/takes 3 segments/) }]);
  });
});

describe('campaign copy cannot reach outside its data', () => {
  const attempts = [
    '{% include "/etc/passwd" %}',
    '{%- render "../../platform/config.ts" -%}',
    '{% layout "x" %}{{ first_name }}',
    '{{ first_name.constructor }}',
    '{{ first_name | constructor }}',
    '{{ __proto__ }}',
    '{{ process.env.AUTH_SECRET }}',
    '{{ global }}',
    '{% for i in (1..100000000) %}x{% endfor %}',
  ];

  it.each(attempts)('refuses %s with a reason, never an error or a value from outside', async (attempt) => {
    const issues = await checkCopy({ ...good, body: `Hi {{ first_name }}, ${attempt}` });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.field === 'body' && i.message.length > 0)).toBe(true);
  });
});
