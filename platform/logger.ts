import { pino, type DestinationStream, type Logger } from 'pino';

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
  '*.*.email',
  'phone',
  '*.phone',
  '*.*.phone',
];

const emails = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
// Phone numbers are stored in E.164; anything else that looks like one is masked all the same.
const phones = /\+\d{6,13}(\d{2})\b/g;

/** An e-mail address keeps its first character and domain, a phone number its last two digits. */
export function maskContacts(text: string): string {
  if (!text.includes('@') && !text.includes('+')) return text;
  return text
    .replace(emails, '$1***@$2')
    .replace(phones, (match, last: string) => `+${'*'.repeat(match.length - 3)}${last}`);
}

/** Contact details inside free text (messages, error messages, provider answers) are masked too. */
function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskContacts(value);
  if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(level: string, name = 'lma', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: redact, censor: '[redacted]' },
      formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
      serializers: { err: (err: Error) => maskDeep(pino.stdSerializers.err(err)) },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? maskContacts(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination ?? stdout(),
  );
}

/**
 * Standard output, written synchronously, a line at a time. pino's default destination is
 * asynchronous: lines wait in a string while a write is in flight, and it measures that string's
 * byte length on every line, flattening it — a busy API allocated ~4–7 kB per 200-byte request
 * log line. Written at once, a line costs ~2 kB and less CPU (3.2–3.9 µs against 3.5–4.9), even into
 * a pipe (BENCHMARKS.md, `api`); nothing is left in memory to lose if the process dies; and a log
 * reader that falls behind slows the process down instead of growing its memory.
 */
function stdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
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
