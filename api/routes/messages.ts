import { Router } from 'express';
import { z } from 'zod';
import {
  compileTemplate,
  renderMessage,
  TemplateError,
  templateFor,
  type CompiledTemplate,
  type MessageTemplate,
  type OfferKind,
  type TemplatePart,
} from '../../domain/messaging/index.ts';
import { offerKinds } from '../../domain/segments/playbooks.ts';
import { messageVariables, type MessageSettings } from '../../activities/messaging/variables.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { messageRecipient } from '../data/messages.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

const templateBody = z
  .strictObject({
    subject: z.string().max(1_000),
    preheader: z.string().max(1_000).optional(),
    /** MJML sections for the standard layout, or a whole `<mjml>` document. */
    mjml: z.string().max(200_000).optional(),
    /** An HTML fragment, placed as it is in the standard layout. */
    html: z.string().max(200_000).optional(),
    text: z.string().max(20_000),
    sms: z.string().max(2_000),
  })
  .refine((t) => (t.mjml === undefined) !== (t.html === undefined), {
    message: 'give the e-mail body as either mjml or html',
    path: ['mjml'],
  });

const previewBody = z.strictObject({
  customerId: z.uuid(),
  /** Whose unsubscribe link the preview carries: the e-mail's, unless previewing a text. */
  channel: z.enum(['email', 'sms']).default('email'),
  offer: z.strictObject({
    key: z.string().regex(/^[a-z0-9_]{2,40}$/, 'lower-case letters, digits and _'),
    label: z.string().trim().min(1).max(80),
    kind: z.enum(offerKinds),
    discountPct: z.number().min(0).max(100).optional(),
  }),
  template: templateBody.optional(),
});

type TemplateBody = z.infer<typeof templateBody>;

export const messageRoutes = {
  preview: defineRoute({
    key: 'POST /api/messages/preview',
    tag: 'Messages',
    summary: 'The message as a customer would get it, from the default or a given template',
    body: previewBody,
    responses: { 200: { description: 'Subject, HTML, text and SMS as rendered, with warnings.' } },
    problems: { 404: 'No customer with this id.', 422: 'The template has errors; `errors` names each.' },
  }),
};

function messageTemplate(t: TemplateBody): MessageTemplate {
  return {
    subject: t.subject,
    preheader: t.preheader,
    // On the wrapper's line, so that Liquid reports the fragment's own line numbers.
    email: t.mjml ?? `<mj-section><mj-column><mj-raw>${t.html}</mj-raw></mj-column></mj-section>`,
    text: t.text,
    sms: t.sms,
  };
}

function templateProblem(err: TemplateError, body: TemplateBody | undefined): HttpProblem {
  const field = (part: TemplatePart) => (part === 'email' ? (body?.html !== undefined ? 'html' : 'mjml') : part);
  return new HttpProblem(422, 'Unprocessable Content', 'The template has errors.', {
    errors: err.issues.map((i) => ({
      path: `body.template.${field(i.part)}`,
      message: i.line ? `line ${i.line}: ${i.message}` : i.message,
    })),
  });
}

export function messagesRouter(deps: { db: Db; settings: MessageSettings }): Router {
  const router = Router();
  // MJML takes milliseconds: the default templates compile once per process.
  const defaults = new Map<OfferKind, Promise<CompiledTemplate>>();
  const defaultFor = (kind: OfferKind) => {
    let compiled = defaults.get(kind);
    if (!compiled) {
      compiled = compileTemplate(templateFor({ key: kind, kind }));
      defaults.set(kind, compiled);
    }
    return compiled;
  };

  // The message as this customer would get it, with the variables and links the send uses.
  route(router, messageRoutes.preview, async (_req, res, { body }) => {
    const customer = await messageRecipient(deps.db, body.customerId);
    if (!customer) throw new HttpProblem(404, 'Not Found', 'No customer with this id.');
    let compiled: CompiledTemplate;
    try {
      compiled = await (body.template ? compileTemplate(messageTemplate(body.template)) : defaultFor(body.offer.kind));
    } catch (err) {
      if (err instanceof TemplateError) throw templateProblem(err, body.template);
      throw err;
    }
    const vars = messageVariables(
      deps.settings,
      {
        customerId: customer.id,
        channel: body.channel,
        campaignId: null,
        firstName: customer.firstName,
        primaryCategory: customer.primaryCategory,
      },
      body.offer,
    );
    const { subject, html, text, sms, smsSegments, headers, warnings } = renderMessage(compiled, vars);
    res.json({ subject, html, text, sms, smsSegments, headers, warnings });
  });

  return router;
}
