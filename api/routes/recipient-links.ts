import express, { Router, type Request } from 'express';
import { z } from 'zod';
import {
  PREFERENCES_PATH,
  UNSUBSCRIBE_PATH,
  verifyUnsubscribeToken,
  type UnsubscribeClaims,
} from '../../domain/messaging/index.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { channelStates, recordChoices, type ConsentEvidence } from '../data/consents.ts';
import { invalidLinkPage, preferencesPage, unsubscribeConfirmPage, unsubscribedPage } from '../pages/recipient.ts';
import { defineRoute, type ResponseSpec } from '../route-spec.ts';

/**
 * The unsubscribe and preference links of every message. No login: the signed token in the
 * link is the authentication, checked in constant time; a token that does not verify, or
 * names no customer, changes nothing and gets a 400.
 */

// RFC 8058 one-click sends `List-Unsubscribe=One-Click`; the page's own form sends nothing.
// A multipart one-click body is not parsed and counts as empty: the token alone decides.
const unsubscribeForm = z.strictObject({ 'List-Unsubscribe': z.literal('One-Click').optional() });
const choice = z.enum(['opted_in', 'opted_out']).optional();
const preferencesForm = z.strictObject({ email: choice, sms: choice });

const tokenParam = z.strictObject({
  token: z.string().meta({ description: "The signed token from the message's link." }),
});
const page = (description: string): ResponseSpec => ({ description, mediaType: 'text/html' });
const invalidLink = { 400: page('The link does not verify or names no customer; nothing changed.') };

export const recipientLinkRoutes = {
  unsubscribePage: defineRoute({
    key: 'GET /api/unsubscribe/:token',
    tag: 'Recipients',
    summary: 'The unsubscribe confirmation page (opening the link never unsubscribes)',
    params: tokenParam,
    responses: { 200: page('Asks the recipient to confirm.'), ...invalidLink },
  }),
  unsubscribe: defineRoute({
    key: 'POST /api/unsubscribe/:token',
    tag: 'Recipients',
    summary: "Unsubscribe from the link's channel (RFC 8058 one-click, or the confirmation page's form)",
    params: tokenParam,
    body: unsubscribeForm,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 200: page('Unsubscribed.'), ...invalidLink },
  }),
  preferencesPage: defineRoute({
    key: 'GET /preferences/:token',
    tag: 'Recipients',
    summary: "The recipient's e-mail and SMS preference page",
    params: tokenParam,
    responses: { 200: page('The current choices, as a form.'), ...invalidLink },
  }),
  savePreferences: defineRoute({
    key: 'POST /preferences/:token',
    tag: 'Recipients',
    summary: "Save the recipient's choices",
    params: tokenParam,
    body: preferencesForm,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 200: page('Saved, with the choices as they now are.'), ...invalidLink },
  }),
};

const form = express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 });

function evidence(req: Request, claims: UnsubscribeClaims, oneClick?: boolean): ConsentEvidence {
  return {
    campaignId: claims.campaignId,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 300) ?? null,
    ...(oneClick ? { oneClick } : {}),
  };
}

export function recipientLinksRouter(deps: { db: Db; unsubscribeSecret: string; storeName: string }): Router {
  const router = Router();
  const claimsOf = (req: Request): UnsubscribeClaims | undefined => {
    const check = verifyUnsubscribeToken(String(req.params.token), [deps.unsubscribeSecret]);
    return check.ok ? check : undefined;
  };
  const links = (req: Request) => {
    const token = encodeURIComponent(String(req.params.token));
    return { unsubscribe: `${UNSUBSCRIBE_PATH}${token}`, preferences: `${PREFERENCES_PATH}${token}` };
  };

  // GET never unsubscribes: link scanners and previews open links without the recipient.
  route(router, recipientLinkRoutes.unsubscribePage, async (req, res) => {
    const claims = claimsOf(req);
    const states = claims && (await channelStates(deps.db, claims.customerId));
    if (!claims || !states) return invalidLinkPage(res);
    const state = states[claims.channel];
    unsubscribeConfirmPage(res, {
      storeName: deps.storeName,
      channel: claims.channel,
      action: links(req).unsubscribe,
      preferences: links(req).preferences,
      alreadyOut: state.consent === 'opted_out' && (!state.hasAddress || state.suppression !== null),
    });
  });

  route(router, recipientLinkRoutes.unsubscribe, form, async (req, res, { body }) => {
    const claims = claimsOf(req);
    const done =
      claims &&
      (await recordChoices(
        deps.db,
        claims.customerId,
        { [claims.channel]: 'opted_out' },
        'unsubscribe_link',
        evidence(req, claims, body['List-Unsubscribe'] === 'One-Click'),
      ));
    if (!claims || !done) return invalidLinkPage(res);
    res.locals.audit = { entityId: claims.customerId, channel: claims.channel, changed: done.changed };
    unsubscribedPage(res, { storeName: deps.storeName, channel: claims.channel, preferences: links(req).preferences });
  });

  route(router, recipientLinkRoutes.preferencesPage, async (req, res) => {
    const claims = claimsOf(req);
    const states = claims && (await channelStates(deps.db, claims.customerId));
    if (!claims || !states) return invalidLinkPage(res);
    preferencesPage(res, { storeName: deps.storeName, action: links(req).preferences, states, saved: false });
  });

  route(router, recipientLinkRoutes.savePreferences, form, async (req, res, { body: choices }) => {
    const claims = claimsOf(req);
    const done =
      claims && (await recordChoices(deps.db, claims.customerId, choices, 'preference_page', evidence(req, claims)));
    if (!claims || !done) return invalidLinkPage(res);
    res.locals.audit = { entityId: claims.customerId, changed: done.changed };
    preferencesPage(res, {
      storeName: deps.storeName,
      action: links(req).preferences,
      states: done.states,
      saved: true,
    });
  });

  return router;
}
