/**
 * The e-mail around a template's content: MJML head and the compliance footer. The footer is
 * not the template's to leave out: every marketing e-mail carries the store's postal address
 * (CAN-SPAM), the responsible-drinking line and working unsubscribe and preferences links.
 */

const muted = 'color="#6b6b6b" font-size="12px" line-height="18px" align="center"';

export const emailFooter = `
<mj-section padding="8px 0 24px">
  <mj-column>
    <mj-divider border-width="1px" border-color="#dddddd" padding="8px 25px" />
    <mj-text ${muted}>{{ store.responsible_drinking }}</mj-text>
    <mj-text ${muted}>{{ store.name }}<br />{{ store.address | escape | newline_to_br | raw }}</mj-text>
    <mj-text ${muted}>You receive this because you opted in to messages from {{ store.name }}.<br />
      <a href="{{ links.unsubscribe }}" style="color:#6b6b6b;">Unsubscribe</a> &#183;
      <a href="{{ links.preferences }}" style="color:#6b6b6b;">Manage preferences</a></mj-text>
  </mj-column>
</mj-section>`;

export const textFooter = `

--
{{ store.responsible_drinking }}
{{ store.name }}
{{ store.address }}
Unsubscribe: {{ links.unsubscribe }}
Manage preferences: {{ links.preferences }}
`;

const head = (preheader: string) => `
  <mj-head>
    <mj-preview>${preheader}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="15px" line-height="22px" color="#222222" />
      <mj-button background-color="#7a1f2b" color="#ffffff" font-size="15px" border-radius="4px" />
    </mj-attributes>
  </mj-head>`;

/**
 * The MJML document for a template's e-mail: a body fragment (`<mj-section>`s) goes into the
 * standard layout; a whole `<mjml>` document keeps its own head. Either way the footer is
 * the last section of the body.
 */
export function emailDocument(email: string, preheader: string): string {
  const closing = email.lastIndexOf('</mj-body>');
  if (/^\s*<mjml[\s>]/.test(email) && closing >= 0) {
    return `${email.slice(0, closing)}${emailFooter}\n${email.slice(closing)}`;
  }
  return `<mjml lang="en">${head(preheader)}
  <mj-body background-color="#f4f1ec" width="600px">
${email}
${emailFooter}
  </mj-body>
</mjml>`;
}
