import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createLogger } from '../logger.ts';

export const testLog = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test');

/** A task queue of the test's own, so workers of parallel test files never take each other's tasks. */
export function testTaskQueue(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export function temporalTestTarget(): { address: string; namespace: string } {
  return { address: inject('temporalAddress'), namespace: inject('temporalNamespace') };
}
