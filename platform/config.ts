import path from 'node:path';
import { z } from 'zod';

/**
 * The one configuration module. Every setting comes from the environment, is validated once,
 * and is then read through `config()`. Secrets never get defaults: a setting that needs one is
 * generated at first start and stored under the data directory instead.
 */

const port = z.coerce.number().int().min(1).max(65535);
// An empty variable means "not set", as in a .env file with `DATABASE_URL=`.
const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalUrl = z.preprocess(blankIsUnset, z.string().trim().url().optional());
const optionalString = z.preprocess(blankIsUnset, z.string().trim().optional());

const duration = /^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A duration matching `duration` in milliseconds. */
function durationMs(v: string): number {
  const [, amount, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(v)!;
  const key = unit!.startsWith('ms') || unit!.startsWith('milli') ? 'ms' : unit![0]!;
  return Number(amount) * unitMs[key]!;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** Browser origins allowed to call the API from another site (comma-separated); none = same origin only. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'origins like https://shop.example.com, no paths'))),
  /** OTLP/HTTP collector base URL; unset = tracing off. Spans go to `<url>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('liquor-marketing-agent'),
  /** Where a worker serves the Temporal SDK's own metrics for Prometheus (`host:port`), or `off`. */
  WORKER_METRICS_ADDRESS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(/^(off|[\w.-]+:\d{1,5}|\[[\da-f:]+\]:\d{1,5})$/i, 'host:port, or off')
      .default('127.0.0.1:9464'),
  ),

  DATABASE_URL: optionalUrl,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  EMBEDDED_POSTGRES_PORT: port.default(54329),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/i, 'a Temporal namespace name')
    .default('liquor-marketing'),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().default('lma'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** The Temporal Web UI's address, for links from the app (default: the embedded dev server's UI). */
  TEMPORAL_UI_URL: optionalUrl,
  /** mTLS to a self-hosted cluster or Temporal Cloud: PEM files of the client certificate and key. */
  TEMPORAL_TLS_CERT_FILE: optionalString,
  TEMPORAL_TLS_KEY_FILE: optionalString,
  /** The CA that signed the server's certificate, when it is not a public one. */
  TEMPORAL_TLS_CA_FILE: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /** A Temporal Cloud API key (instead of a client certificate); implies TLS. */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_API_KEY_FILE: optionalString,
  /** Which task queues a worker process polls (comma-separated), so sends, scoring and planning scale apart. */
  WORKER_TASK_QUEUES: z
    .string()
    .default('workflows,sends,scoring,planning')
    .transform((v) => [...new Set(v.split(',').map((k) => k.trim()))])
    .pipe(z.array(z.enum(['workflows', 'sends', 'scoring', 'planning'])).min(1)),
  /** A workflow bundle built ahead of time (`npm run build:workflows`); production workers skip webpack. */
  WORKFLOW_BUNDLE: optionalString,

  /** Signs access tokens. Unset: read AUTH_SECRET_FILE, else generated once under DATA_DIR. */
  AUTH_SECRET: z.preprocess(blankIsUnset, z.string().min(32, 'at least 32 characters').optional()),
  AUTH_SECRET_FILE: optionalString,
  ACCESS_TOKEN_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  REFRESH_TOKEN_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_LOCKOUT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  ADMIN_EMAIL: z.string().email().default('admin@example.com'),
  /** Region assumed for phone numbers written without a country code (ISO 3166-1 alpha-2). */
  DEFAULT_PHONE_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'a two-letter country code such as US')
    .default('US'),
  /** Local hours "from-to" (to exclusive, may wrap midnight) that count as night buying. */
  NIGHT_WINDOW: z
    .string()
    .regex(/^([01]?\d|2[0-3])-([01]?\d|2[0-3])$/, 'two hours 0–23, e.g. 20-4')
    .default('20-4')
    .transform((v) => {
      const [fromHour, toHour] = v.split('-').map(Number) as [number, number];
      return { fromHour, toHour };
    })
    .refine((w) => w.fromHour !== w.toHour, 'the window must not be empty'),
  /** Share of a customer's orders in the night window from which they count as a night buyer. */
  NIGHT_BUYER_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  CLV_HORIZON_MONTHS: z.coerce.number().int().min(1).max(60).default(12),
  CLV_MONTHLY_DISCOUNT_RATE: z.coerce.number().min(0).max(0.2).default(0.01),
  /** Cron (store time zone) of the nightly scoring run. */
  SCORING_SCHEDULE: z.string().default('30 3 * * *'),
  // --- AI planner (OpenAI-compatible). No key: the deterministic planner. ---
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),

  // --- Messaging. No credentials: the sandbox provider (outbox table + simulated events). ---
  MAILGUN_API_KEY: optionalString,
  MAILGUN_DOMAIN: optionalString,
  MAILGUN_REGION: z.enum(['us', 'eu']).default('us'),
  /** Overrides the region's API URL (a proxy, or a local stub in tests). */
  MAILGUN_BASE_URL: optionalUrl,
  /**
   * Campaign e-mails per Mailgun call (recipient-variables; Mailgun takes at most 1,000). A pause
   * waits for the call in flight, so fewer make pauses quicker on a slow link.
   */
  MAILGUN_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  MAILGUN_WEBHOOK_SIGNING_KEY: optionalString,
  MAIL_FROM: z.preprocess(blankIsUnset, z.string().trim().optional()),
  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_MESSAGING_SERVICE_SID: optionalString,
  TWILIO_FROM_NUMBER: optionalString,
  /** Overrides api.twilio.com (a proxy, or a local stub in tests). */
  TWILIO_BASE_URL: optionalUrl,
  /** Messages per second per sender; a US long code allows about 1. */
  SMS_RATE_PER_SECOND: z.coerce.number().gt(0).max(1_000).default(1),
  /** Signs unsubscribe links. Unset: UNSUBSCRIBE_SECRET_FILE, else generated under DATA_DIR. */
  UNSUBSCRIBE_SECRET: z.preprocess(blankIsUnset, z.string().min(32, 'at least 32 characters').optional()),
  UNSUBSCRIBE_SECRET_FILE: optionalString,

  // --- The store and alcohol-marketing rules. ---
  STORE_NAME: z.string().trim().min(1).default('Your Liquor Store'),
  /** Printed in every e-mail (CAN-SPAM requires a valid postal address). */
  STORE_POSTAL_ADDRESS: z.string().trim().default(''),
  RESPONSIBLE_DRINKING_LINE: z
    .string()
    .trim()
    .default('Please enjoy responsibly. You must be 21 or older to purchase alcohol.'),
  /** Minimum drinking age; per country as JSON, e.g. {"US":21,"CA":19,"GB":18}; "*" is the default. */
  MINIMUM_AGE: z
    .string()
    .default('{"*":21}')
    .transform((v, ctx) => {
      try {
        const parsed = z.record(z.string(), z.number().int().min(16).max(25)).parse(JSON.parse(v));
        if (parsed['*'] === undefined) parsed['*'] = 21;
        return parsed;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'JSON like {"*":21,"CA":19}' });
        return z.NEVER;
      }
    }),
  /** Local hours "HH:MM-HH:MM" in which marketing may be sent, in the recipient's time zone. */
  SEND_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'like 08:00-21:00')
    .default('08:00-21:00')
    .transform((v) => {
      const [start, end] = v.split('-') as [string, string];
      return { start, end };
    }),
  /** At most N marketing messages per customer in D days, across all campaigns: "N/D". */
  FREQUENCY_CAP: z
    .string()
    .regex(/^\d+\/\d+$/, 'like 3/7')
    .default('3/7')
    .transform((v) => {
      const [max, days] = v.split('/').map(Number) as [number, number];
      return { max, days };
    }),
  /** Stops every marketing send at once, whatever is scheduled. */
  SENDING_PAUSED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  // --- Admin alerts (besides the notification record): Slack and/or e-mail, when set. ---
  /** A Slack incoming-webhook URL for failed sends and other admin notifications. */
  ALERT_SLACK_WEBHOOK_URL: optionalUrl,
  /** Addresses (comma-separated) e-mailed through Mailgun with each admin notification. */
  ALERT_EMAIL_TO: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().email())),
  // --- Campaign timings (Temporal durations such as "5 minutes", "6 hours", "3 days"). ---
  SEND_RETRY_DELAY: z.string().regex(duration, 'a duration like "5 minutes"').default('5 minutes'),
  SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  DELIVERY_WAIT: z.string().regex(duration, 'a duration like "6 hours"').default('6 hours'),
  ENGAGEMENT_WINDOW: z.string().regex(duration, 'a duration like "3 days"').default('3 days'),
  /**
   * For tests and demos only: how long a campaign day lasts. Shorter than a day, approval schedules
   * day N at approval + N × this length (each send window as long as one such day) instead of the
   * calendar's send windows, so a 7-day campaign runs in minutes.
   */
  CAMPAIGN_DAY_LENGTH: z.string().regex(duration, 'a duration like "1 day" or "20 seconds"').default('1 day'),
  /** E-mails that cannot reach their customer (no consent, bounced, failed for good) are replaced by a text. */
  SMS_FALLBACK: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** E-mails not opened this long after sending fall back to a text too (before the next day's sends), or `off`. */
  SMS_FALLBACK_UNOPENED_AFTER: z
    .string()
    .regex(
      /^off$|^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$/,
      'a duration like "24 hours", or off',
    )
    .default('off'),

  // --- Analytics. ---
  /** Raw engagement events older than this are dropped a whole month partition at a time; rollups stay. */
  ANALYTICS_RETENTION_DAYS: z.coerce.number().int().min(31).max(3_650).default(400),
  /** Cron (store time zone) of the daily analytics maintenance: partitions ahead, retention, late attribution. */
  ANALYTICS_SCHEDULE: z.string().default('15 2 * * *'),
  /** Attribution windows per channel and touch, e.g. {"email":{"clicked":"5 days"},"sms":{"delivered":"12 hours"}}. */
  ATTRIBUTION_WINDOWS: z
    .string()
    .default('{"email":{"clicked":"5 days","opened":"5 days"},"sms":{"clicked":"1 day","delivered":"12 hours"}}')
    .transform((v, ctx) => {
      try {
        const touch = z.enum(['delivered', 'opened', 'clicked']);
        const parsed = z
          .partialRecord(z.enum(['email', 'sms']), z.partialRecord(touch, z.string().regex(duration)))
          .parse(JSON.parse(v));
        return Object.fromEntries(
          Object.entries(parsed).map(([channel, byTouch]) => [
            channel,
            Object.fromEntries(Object.entries(byTouch ?? {}).map(([t, d]) => [t, durationMs(d!)])),
          ]),
        ) as Partial<Record<'email' | 'sms', Partial<Record<'delivered' | 'opened' | 'clicked', number>>>>;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'JSON like {"email":{"clicked":"5 days"},"sms":{"clicked":"1 day"}}' });
        return z.NEVER;
      }
    }),
  /** A directory exports may be written to (`POST /api/analytics/exports` with destination "directory"). */
  EXPORT_DIR: optionalString,
  /** An S3-compatible bucket exports may be written to; credentials come from the AWS SDK's usual sources. */
  EXPORT_S3_BUCKET: optionalString,
  EXPORT_S3_ENDPOINT: optionalUrl,
  EXPORT_S3_REGION: z.string().default('us-east-1'),
  EXPORT_S3_PREFIX: z.string().default('exports/'),
  /** Path-style URLs (bucket in the path), which MinIO and most self-hosted stores need. */
  EXPORT_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),

  STORE_TIME_ZONE: z
    .string()
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'an IANA time zone')
    .default('America/Chicago'),
});

export type Config = z.infer<typeof schema> & {
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** Where the web app and API are reachable from a browser. */
  publicUrl: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  return {
    ...c,
    dataDir: path.resolve(c.DATA_DIR),
    publicUrl: c.PUBLIC_URL ?? `http://${c.HOST === '0.0.0.0' ? 'localhost' : c.HOST}:${c.PORT}`,
  };
}

let memo: Config | undefined;

export function config(): Config {
  memo ??= parseConfig(process.env);
  return memo;
}
