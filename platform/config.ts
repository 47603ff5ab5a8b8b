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

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),

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
