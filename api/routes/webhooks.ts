import express, { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
// The signature check alone, not the whole SDK (~34 MiB resident) in every API process.
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import {
  BufferClosedError,
  BufferFullError,
  type EngagementIngestion,
  type IngestOutcome,
} from '../../activities/webhooks/ingestion.ts';
import type { EngagementEvent } from '../../domain/webhooks/events.ts';
import { helpReply } from '../../domain/webhooks/keywords.ts';
import {
  MAILGUN_DEFAULT_MAX_AGE_MS,
  mailgunEnvelope,
  mailgunEvent,
  mailgunEventData,
  verifyMailgunSignature,
} from '../../domain/webhooks/mailgun.ts';
import {
  twilioInboundEvent,
  twilioInboundMessage,
  twilioStatusCallback,
  twilioStatusEvent,
} from '../../domain/webhooks/twilio.ts';
import { twimlResponse } from '../../domain/webhooks/twiml.ts';
import type { Config } from '../../platform/config.ts';
import { route } from '../auth/middleware.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * Mailgun and Twilio webhooks. Public routes: the provider's signature is the authentication,
 * checked before anything is written; a request that fails it gets 401 (406 for a replayed
 * Mailgun token, which tells Mailgun not to retry) and touches nothing. A verified event is
 * answered only once its receipt is committed, so an acknowledged event is never lost; a
 * retry of an event already received is acknowledged and changes nothing.
 */

export type WebhookConfig = Pick<
  Config,
  'MAILGUN_WEBHOOK_SIGNING_KEY' | 'TWILIO_AUTH_TOKEN' | 'publicUrl' | 'STORE_NAME'
>;

export interface WebhookRouterDeps {
  ingestion: EngagementIngestion;
  config: WebhookConfig;
  /** How far a Mailgun signature's timestamp may be from now. */
  mailgunMaxAgeMs?: number;
  now?: () => Date;
}

// Real event payloads are a few kilobytes; anything near the limit is not from a provider.
const BODY_LIMIT = '64kb';
const json = express.json({ limit: BODY_LIMIT });
const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100 });

const unauthorized = (detail: string) => new HttpProblem(401, 'Unauthorized', detail);

/** Ingests, turning a full or closing buffer into 503 so that the provider retries later. */
async function ingest(ingestion: EngagementIngestion, event: EngagementEvent): Promise<IngestOutcome> {
  try {
    return await ingestion.ingest(event);
  } catch (err) {
    if (err instanceof BufferFullError || err instanceof BufferClosedError) {
      throw new HttpProblem(503, 'Service Unavailable', 'Too many events at once; retry shortly.', {
        headers: { 'retry-after': '1' },
      });
    }
    throw err;
  }
}

const twiml = { description: 'Acknowledged (TwiML, with a reply to HELP).', mediaType: 'text/xml' };
const signatureProblems = {
  401: 'The signature is missing or does not verify (or the signing secret is not configured).',
  503: 'Too many events at once; retry after the Retry-After seconds.',
};

export const webhookRoutes = {
  mailgun: defineRoute({
    key: 'POST /api/webhooks/mailgun',
    tag: 'Webhooks',
    summary: 'Mailgun delivery and engagement events',
    description: 'Authenticated by the HMAC signature in the body, checked before anything is written.',
    body: mailgunEnvelope,
    repairsText: true,
    responses: {
      200: {
        description: 'Received, or a retry of an event already received.',
        schema: z.object({ result: z.string() }),
      },
    },
    problems: { ...signatureProblems, 406: 'This signature token was used before: a replay, not to be retried.' },
  }),
  twilioStatus: defineRoute({
    key: 'POST /api/webhooks/twilio/status',
    tag: 'Webhooks',
    summary: 'Twilio message status callbacks',
    description: 'Authenticated by X-Twilio-Signature over our public URL and the form, checked first.',
    headers: z.object({ 'x-twilio-signature': z.string().optional() }),
    body: twilioStatusCallback,
    repairsText: true,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 200: twiml },
    problems: signatureProblems,
  }),
  twilioInbound: defineRoute({
    key: 'POST /api/webhooks/twilio/inbound',
    tag: 'Webhooks',
    summary: 'Inbound SMS (STOP, START, HELP and replies)',
    description: 'Authenticated by X-Twilio-Signature over our public URL and the form, checked first.',
    headers: z.object({ 'x-twilio-signature': z.string().optional() }),
    body: twilioInboundMessage,
    repairsText: true,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 200: twiml },
    problems: signatureProblems,
  }),
};

/**
 * Answers a provider with a body written as is. A webhook's answer is read by a machine once:
 * no ETag to work out (Express hashes every body it sends), no content type to negotiate.
 */
function answer(res: Response, contentType: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const mailgunAnswers = Object.fromEntries(
  (['accepted', 'duplicate'] as const).map((result) => [result, Buffer.from(JSON.stringify({ result }))]),
) as Record<'accepted' | 'duplicate', Buffer>;

function sendTwiml(res: Response, message?: string): void {
  answer(res, 'text/xml; charset=utf-8', twimlResponse(message));
}

export function webhooksRouter(deps: WebhookRouterDeps): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());
  const maxAgeMs = deps.mailgunMaxAgeMs ?? MAILGUN_DEFAULT_MAX_AGE_MS;
  const publicUrl = deps.config.publicUrl.replace(/\/+$/, '');

  route(router, webhookRoutes.mailgun, json, async (_req, res, { body: envelope }) => {
    const key = deps.config.MAILGUN_WEBHOOK_SIGNING_KEY;
    if (!key) throw unauthorized('Mailgun webhooks are refused until MAILGUN_WEBHOOK_SIGNING_KEY is set.');
    const check = verifyMailgunSignature(envelope.signature, key, { now: now(), maxAgeMs });
    if (!check.ok) {
      throw unauthorized(
        check.reason === 'stale'
          ? 'The signature timestamp is outside the freshness window.'
          : 'The signature does not verify.',
      );
    }
    const data = parseOr400(mailgunEventData, envelope['event-data'], 'body.event-data');
    const outcome = await ingest(
      deps.ingestion,
      mailgunEvent(data, envelope['event-data'], envelope.signature, maxAgeMs),
    );
    if (outcome.result === 'replayed') {
      throw new HttpProblem(406, 'Not Acceptable', 'This signature token has been used before.');
    }
    answer(res, JSON_TYPE, mailgunAnswers[outcome.result]);
  });

  /** Twilio signs the URL it was given (ours, public) plus the sorted form parameters. */
  const verifyTwilio: RequestHandler = (req, _res, next) => {
    const token = deps.config.TWILIO_AUTH_TOKEN;
    if (!token) throw unauthorized('Twilio webhooks are refused until TWILIO_AUTH_TOKEN is set.');
    const signature = req.get('x-twilio-signature');
    if (!signature) throw unauthorized('The X-Twilio-Signature header is missing.');
    const params = (req.body ?? {}) as Record<string, string>;
    if (!validateRequest(token, signature, `${publicUrl}${req.originalUrl}`, params)) {
      throw unauthorized('The X-Twilio-Signature does not verify for this URL and body.');
    }
    next();
  };
  const formOf = (body: unknown) => (body ?? {}) as Record<string, string>;

  route(router, webhookRoutes.twilioStatus, form, verifyTwilio, async (req, res, { body: callback }) => {
    await ingest(deps.ingestion, twilioStatusEvent(callback, formOf(req.body), now()));
    sendTwiml(res);
  });

  route(router, webhookRoutes.twilioInbound, form, verifyTwilio, async (req, res, { body: message }) => {
    const event = twilioInboundEvent(message, formOf(req.body), now());
    await ingest(deps.ingestion, event);
    // STOP and START are confirmed by Twilio's own opt-out handling; a second reply would be noise.
    sendTwiml(res, event.keyword === 'help' ? helpReply(deps.config.STORE_NAME) : undefined);
  });

  return router;
}
