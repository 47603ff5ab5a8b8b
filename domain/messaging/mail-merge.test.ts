import { Liquid } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { defaultTemplates } from './default-templates.ts';
import { recipientLinks } from './links.ts';
import { applyMailMerge, escapeHtml, mailMergeReproduces, mailMergeValues, renderMailMerge } from './mail-merge.ts';
import { compileTemplate, renderMessage } from './render.ts';
import type { MessageVariables } from './variables.ts';

function recipient(firstName: string | null, primaryCategory: string | null, token: string): MessageVariables {
  return {
    customer: { firstName, primaryCategory },
    offer: { kind: 'percent_off', label: '15% off', discountPct: 15 },
    store: { name: 'Bottle Shop', postalAddress: '12 Elm Street', responsibleDrinkingLine: 'Enjoy responsibly.' },
    links: recipientLinks({
      publicUrl: 'https://m.example.com',
      shopUrl: 'https://shop.example.com/?a=1&b=2',
      token,
      unsubscribeMailbox: 'unsubscribe@mg.example.com',
    }),
  };
}

const recipients = [
  recipient('Ada', 'whiskey', 'tok-1'),
  recipient(null, null, 'tok-2'),
  recipient(`<b>O'Brien & "Co"</b>`, 'Gin & Tonic <RTD>', 'tok-3'),
  recipient('%recipient.first_name%', 'rum', 'tok-4'),
];

describe('mail merge', () => {
  it.each(Object.keys(defaultTemplates) as (keyof typeof defaultTemplates)[])(
    'reproduces the full render of the default %s template for every recipient',
    async (kind) => {
      const compiled = await compileTemplate(defaultTemplates[kind]);
      const merge = renderMailMerge(compiled, recipients[0]!);
      for (const vars of recipients) {
        const { subject, html, text, headers } = renderMessage(compiled, vars);
        expect(applyMailMerge(merge, mailMergeValues(vars))).toEqual({ subject, html, text, headers });
      }
    },
  );

  it("carries each recipient's own shop link, such as a tracked /r/ link, as a recipient value", async () => {
    const compiled = await compileTemplate(defaultTemplates.percent_off);
    const tracked = recipients.map((r, i) => ({
      ...r,
      links: { ...r.links, shop: `https://m.example.com/r/c1.send-${i}.aHR0cHM.sig-${i}` },
    }));
    const merge = renderMailMerge(compiled, tracked[0]!);
    expect(merge.html).toContain('%recipient.shop_url_html%');
    expect(merge.text).toContain('%recipient.shop_url%');
    for (const vars of tracked) {
      const { subject, html, text, headers } = renderMessage(compiled, vars);
      expect(applyMailMerge(merge, mailMergeValues(vars))).toEqual({ subject, html, text, headers });
      expect(
        mailMergeReproduces({ template: merge, values: mailMergeValues(vars) }, { subject, html, text, headers }),
      ).toBe(true);
    }
  });

  it('shares one body between recipients of the same campaign message', async () => {
    const compiled = await compileTemplate(defaultTemplates.percent_off);
    const keys = new Set(recipients.map((r) => renderMailMerge(compiled, r).key));
    expect(keys.size).toBe(1);
    const otherOffer = renderMailMerge(compiled, {
      ...recipients[0]!,
      offer: { kind: 'percent_off', label: 'x', discountPct: 20 },
    });
    expect(keys.has(otherOffer.key)).toBe(false);
  });

  it('does not reproduce a template that transforms a recipient field, so the provider can tell', async () => {
    const compiled = await compileTemplate({
      ...defaultTemplates.none,
      subject: 'HI {{ customer.first_name | upcase }}',
    });
    const merge = renderMailMerge(compiled, recipients[0]!);
    expect(applyMailMerge(merge, mailMergeValues(recipients[0]!)).subject).not.toBe(
      renderMessage(compiled, recipients[0]!).subject,
    );
    expect(
      mailMergeReproduces(
        { template: merge, values: mailMergeValues(recipients[0]!) },
        renderMessage(compiled, recipients[0]!),
      ),
    ).toBe(false);
  });

  it('escapes HTML values exactly as Liquid does', () => {
    const liquid = new Liquid({ outputEscape: 'escape' });
    for (const value of [`<a href="x">O'Brien & Co</a>`, '&amp;', '%recipient.x%', 'plain', '’ 🍷 €']) {
      expect(escapeHtml(value)).toBe(liquid.parseAndRenderSync('{{ v }}', { v: value }));
    }
  });
});
