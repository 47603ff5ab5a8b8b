import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../platform/config.ts';
import { route } from '../auth/middleware.ts';
import { defineRoute } from '../route-spec.ts';

/** The alcohol-marketing rules every send goes through, as the process was configured. */
export type ComplianceConfig = Pick<
  Config,
  | 'MINIMUM_AGE'
  | 'SEND_HOURS'
  | 'FREQUENCY_CAP'
  | 'SENDING_PAUSED'
  | 'STORE_NAME'
  | 'STORE_POSTAL_ADDRESS'
  | 'RESPONSIBLE_DRINKING_LINE'
  | 'STORE_TIME_ZONE'
>;

export const settingsRoutes = {
  compliance: defineRoute({
    key: 'GET /api/settings/compliance',
    tag: 'Settings',
    summary: 'Minimum age, quiet hours, frequency cap, postal address and footer in force',
    description:
      'These come from the environment (see README, "Settings"), read when the worker starts: each value ' +
      'names the variable that sets it. Change the variable and restart to change the rule.',
    query: z.strictObject({}),
    responses: { 200: { description: 'The compliance settings and where each is set.' } },
  }),
};

export function settingsRouter(deps: { config: ComplianceConfig }): Router {
  const router = Router();
  route(router, settingsRoutes.compliance, (_req, res) => {
    const c = deps.config;
    res.json({
      source: 'environment',
      minimumAge: { value: c.MINIMUM_AGE, variable: 'MINIMUM_AGE' },
      sendHours: { value: c.SEND_HOURS, variable: 'SEND_HOURS', timeZone: 'the recipient’s' },
      frequencyCap: { value: c.FREQUENCY_CAP, variable: 'FREQUENCY_CAP' },
      sendingPaused: { value: c.SENDING_PAUSED, variable: 'SENDING_PAUSED' },
      storeName: { value: c.STORE_NAME, variable: 'STORE_NAME' },
      postalAddress: { value: c.STORE_POSTAL_ADDRESS, variable: 'STORE_POSTAL_ADDRESS' },
      footer: { value: c.RESPONSIBLE_DRINKING_LINE, variable: 'RESPONSIBLE_DRINKING_LINE' },
      storeTimeZone: { value: c.STORE_TIME_ZONE, variable: 'STORE_TIME_ZONE' },
    });
  });
  return router;
}
