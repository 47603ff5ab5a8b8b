import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Temporal's Java time-skipping test server (Maven Central `io.temporal:temporal-test-server`).
 * The SDK would download a native build from the internet; here Maven fetches the jar and its
 * dependencies, and a small wrapper script gives the SDK an executable to start:
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const pom = path.join(here, 'test-server', 'pom.xml');

export function testServerVersion(): string {
  const match = /<temporal\.test-server\.version>([^<]+)</.exec(readFileSync(pom, 'utf8'));
  if (!match) throw new Error(`${pom} does not name temporal.test-server.version`);
  return match[1]!;
}

export function testServerDir(): string {
  return path.resolve(here, '..', '.cache', 'temporal-test-server', testServerVersion());
}

export function testServerExecutable(): string {
  return path.join(testServerDir(), 'temporal-test-server');
}

export function isTestServerInstalled(): boolean {
  const lib = path.join(testServerDir(), 'lib');
  return (
    existsSync(testServerExecutable()) &&
    existsSync(lib) &&
    readdirSync(lib).some((f) => f.startsWith('temporal-test-server'))
  );
}

/** Copies the jars from Maven (its local repository caches them across clones) and writes the wrapper. */
export function installTestServer(): string {
  const dir = testServerDir();
  const lib = path.join(dir, 'lib');
  mkdirSync(lib, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'],
    { stdio: 'inherit' },
  );
  if (mvn.error) throw new Error(`Maven is needed to fetch the Temporal test server: ${mvn.error.message}`);
  if (mvn.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${mvn.status})`);
  const wrapper = testServerExecutable();
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      '# Written by temporal/test-server.ts. Usage: temporal-test-server <port> [--enable-time-skipping]',
      `exec java -Xss1m -cp '${lib}/*' io.temporal.testserver.TestServer "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}
