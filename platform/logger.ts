import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs for operators. Anything that can carry a secret or a customer's contact details is
 * redacted here, once, so a careless `log.info({ req })` cannot leak it.
 */
const redact = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'refreshToken',
  '*.refreshToken',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
  'email',
  '*.email',
  'phone',
  '*.phone',
];

export function createLogger(level: string, name = 'lma'): Logger {
  return pino({ name, level, redact: { paths: redact, censor: '[redacted]' } });
}

/** A Postgres URL with its password replaced, for messages shown to people. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
