import { createAdminAlerts } from './alerts.ts';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { createPlanner } from './planning/planner.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { resolveSecret } from '../platform/secrets.ts';
import type { CampaignTimings } from '../workflows/campaign-messages.ts';
import type { ActivityDeps } from './index.ts';
import { createProviders, type Providers } from './messaging/providers/index.ts';
import { messageSettings } from './messaging/variables.ts';
import type { ScoringSettings } from './scoring.ts';

/** Everything the activities need, built once per worker process from the config. */

export function scoringSettings(cfg: Config): ScoringSettings {
  return {
    timeZone: cfg.STORE_TIME_ZONE,
    nightWindow: cfg.NIGHT_WINDOW,
    nightBuyerShare: cfg.NIGHT_BUYER_SHARE,
    horizonMonths: cfg.CLV_HORIZON_MONTHS,
    monthlyDiscountRate: cfg.CLV_MONTHLY_DISCOUNT_RATE,
  };
}

export function campaignTimings(cfg: Config): CampaignTimings {
  return {
    retryDelay: cfg.SEND_RETRY_DELAY as Duration,
    maxAttempts: cfg.SEND_MAX_ATTEMPTS,
    deliveryWait: cfg.DELIVERY_WAIT as Duration,
    engagementWindow: cfg.ENGAGEMENT_WINDOW as Duration,
    smsFallback: cfg.SMS_FALLBACK,
    smsFallbackUnopenedAfter:
      cfg.SMS_FALLBACK_UNOPENED_AFTER === 'off' ? null : (cfg.SMS_FALLBACK_UNOPENED_AFTER as Duration),
    deliveryPollMax: '2 hours',
  };
}

export function unsubscribeSecret(cfg: Config): string {
  return resolveSecret({
    value: cfg.UNSUBSCRIBE_SECRET,
    file: cfg.UNSUBSCRIBE_SECRET_FILE,
    dataDir: cfg.dataDir,
    name: 'unsubscribe-secret',
  });
}

export function activityDeps(
  cfg: Config,
  db: Db,
  log: Logger,
  providers: Providers = createProviders(cfg, { db }),
): ActivityDeps {
  const rules = {
    minimumAge: cfg.MINIMUM_AGE,
    sendHours: cfg.SEND_HOURS,
    frequencyCap: cfg.FREQUENCY_CAP,
    storeTimeZone: cfg.STORE_TIME_ZONE,
    campaignDayLengthMs: msToNumber(cfg.CAMPAIGN_DAY_LENGTH as Duration),
  };
  return {
    db,
    log,
    scoring: scoringSettings(cfg),
    analytics: { retentionDays: cfg.ANALYTICS_RETENTION_DAYS, attributionWindows: cfg.ATTRIBUTION_WINDOWS },
    sandbox: providers.sandbox,
    planner: createPlanner(cfg),
    rules,
    alerts: createAdminAlerts({
      slackWebhookUrl: cfg.ALERT_SLACK_WEBHOOK_URL,
      emailTo: cfg.ALERT_EMAIL_TO,
      email: providers.email.name === 'mailgun' ? providers.email : undefined,
      db,
      log,
    }),
    messaging: {
      email: providers.email,
      sms: providers.sms,
      rules: { ...rules, sendingPaused: cfg.SENDING_PAUSED },
      ...messageSettings(cfg, unsubscribeSecret(cfg)),
    },
  };
}
