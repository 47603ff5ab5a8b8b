import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { EngagementIngestion } from '../../activities/webhooks/ingestion.ts';
import { clickLinkKey, verifyClickToken } from '../../domain/messaging/click-token.ts';
import { definedProperties, engagementEvent, ledgerId } from '../../domain/webhooks/events.ts';
import type { Logger } from '../../platform/logger.ts';
import { route } from '../auth/middleware.ts';
import { sendPage } from '../pages/recipient.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * Tracked links (`/r/:token`, used when the provider's own click tracking is off): the signed
 * token names the ledger row and the target. The click goes in through the same ingestion as
 * provider webhooks, then the recipient is sent on. A token that does not verify gets 400 and
 * no redirect: we never send anyone to a URL we did not sign.
 */

export const clickRedirectRoutes = {
  follow: defineRoute({
    key: 'GET /r/:token',
    tag: 'Recipients',
    summary: "A tracked link: records the click and sends the recipient on to the link's target",
    description: 'HEAD (link checkers, previews) redirects without counting a click.',
    params: z.strictObject({
      token: z.string().meta({ description: 'The signed token naming the send and the target.' }),
    }),
    responses: {
      302: {
        description: 'On to the signed target.',
        mediaType: 'text/plain',
        headers: { location: 'The target URL.' },
      },
      400: { description: 'The link does not verify; no redirect.', mediaType: 'text/html' },
    },
  }),
};

export function clickRedirectRouter(deps: {
  ingestion: EngagementIngestion;
  unsubscribeSecret: string;
  log: Logger;
  now?: () => Date;
}): Router {
  const router = Router();
  const key = clickLinkKey(deps.unsubscribeSecret);
  const now = deps.now ?? (() => new Date());

  route(router, clickRedirectRoutes.follow, async (req, res, { params }) => {
    const click = verifyClickToken(params.token, key);
    if (!click.ok) {
      return sendPage(
        res,
        400,
        'Link not valid',
        '<h1>This link is not valid</h1><p>It may have been cut off or changed. Use the link in the message itself.</p>',
      );
    }
    // Link checkers (mail security scanners, chat previews) ask with HEAD: not a click.
    if (req.method === 'HEAD') return res.set('cache-control', 'no-store').redirect(302, click.url);
    const event = engagementEvent({
      source: 'click',
      eventKey: randomUUID(),
      type: 'clicked',
      channel: null,
      occurredAt: now(),
      sendId: ledgerId(click.sendId),
      properties: definedProperties({ url: click.url, userAgent: req.get('user-agent')?.slice(0, 200) }),
      payload: { sendId: click.sendId, url: click.url },
    });
    try {
      await deps.ingestion.ingest(event);
    } catch (err) {
      // The recipient's click matters more than our count of it.
      deps.log.warn({ err, sendId: click.sendId }, 'a click could not be recorded');
    }
    res.set('cache-control', 'no-store').redirect(302, click.url);
  });

  return router;
}
