import { z } from 'zod';
import type { SendFailure } from './types.ts';

const emailSyntax = z.email();

/** Caught before any provider call: the provider would refuse it, and a batch call with it fails whole. */
export function invalidEmail(sendId: string, to: string): SendFailure | undefined {
  return emailSyntax.safeParse(to).success
    ? undefined
    : { sendId, ok: false, retryable: false, code: 'invalid_address', message: `not an e-mail address: ${to}` };
}

const e164 = /^\+[1-9]\d{6,14}$/;

export function invalidPhone(sendId: string, to: string): SendFailure | undefined {
  return e164.test(to)
    ? undefined
    : { sendId, ok: false, retryable: false, code: 'invalid_address', message: `not an E.164 phone number: ${to}` };
}
