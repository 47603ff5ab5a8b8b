import { describe, expect, it } from 'vitest';
import { createLogger, maskContacts } from './logger.ts';

function capture() {
  const lines: Record<string, any>[] = [];
  const log = createLogger('info', 'masking-test', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('contact details in logs', () => {
  it.each([
    ['pat.shopper@example.com', 'p***@example.com'],
    ['write to Pat <pat+vip@mail.store.example>.', 'write to Pat <p***@mail.store.example>.'],
    ['+14155550123', '+*********23'],
    ['SMS to +447700900123 failed', 'SMS to +**********23 failed'],
    ['order 1234567890 at 10:00 (+02:00)', 'order 1234567890 at 10:00 (+02:00)'],
    ['no contact here', 'no contact here'],
  ])('masks %s', (text, masked) => {
    expect(maskContacts(text)).toBe(masked);
  });

  it('redacts e-mail and phone fields wherever a record puts them', () => {
    const { log, lines } = capture();
    log.info(
      { email: 'a@example.com', customer: { phone: '+14155550123' }, batch: { first: { email: 'b@example.com' } } },
      'imported',
    );
    expect(lines[0]).toMatchObject({
      email: '[redacted]',
      customer: { phone: '[redacted]' },
      batch: { first: { email: '[redacted]' } },
    });
  });

  it('masks addresses inside messages, free-text fields and errors', () => {
    const { log, lines } = capture();
    log.warn({ detail: 'bounced: jo@example.com' }, 'could not reach jo@example.com or +14155550123');
    log.error({ err: new Error('Twilio 21211: +14155550123 is not a valid number') }, 'send failed');
    log.info({ recipients: ['x@example.com', 'y@example.com'], count: 2 }, 'batch');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/jo@example|x@example|y@example|4155550123/);
    expect(lines[0]).toMatchObject({ detail: 'bounced: j***@example.com', msg: expect.stringContaining('j***@') });
    expect(lines[1]!.err).toMatchObject({ type: 'Error', message: 'Twilio 21211: +*********23 is not a valid number' });
    expect(lines[1]!.err.stack).toEqual(expect.any(String));
    expect(lines[2]).toMatchObject({ recipients: ['x***@example.com', 'y***@example.com'], count: 2 });
  });

  it('keeps secrets out whatever their nesting', () => {
    const { log, lines } = capture();
    log.info({ password: 'hunter2', req: { headers: { authorization: 'Bearer abc', cookie: 'lma_access=x' } } }, 'x');
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|Bearer abc|lma_access=x/);
  });
});
