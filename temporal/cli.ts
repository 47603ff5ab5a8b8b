import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the Temporal CLI (which contains the dev server and its Web UI) comes from.
 *
 * v1.5.1 is pinned because it is the newest tag whose go.mod has no `replace` directive, so it
 * is the newest one `go install` can build from the Go module proxy.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliCacheDir = path.join(projectRoot, '.cache', 'temporal', TEMPORAL_CLI_VERSION);
export const cachedCliPath = path.join(cliCacheDir, 'temporal');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export type CliSource = 'TEMPORAL_CLI_PATH' | 'project cache' | 'PATH';

/** TEMPORAL_CLI_PATH, then the project cache, then PATH. */
export function findTemporalCli(explicitPath?: string): { path: string; source: CliSource } | undefined {
  if (explicitPath) {
    if (!isExecutable(explicitPath)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicitPath} is not an executable file.`);
    }
    return { path: explicitPath, source: 'TEMPORAL_CLI_PATH' };
  }
  if (isExecutable(cachedCliPath)) return { path: cachedCliPath, source: 'project cache' };
  const found = onPath('temporal');
  return found ? { path: found, source: 'PATH' } : undefined;
}

export function goAvailable(): boolean {
  return onPath('go') !== undefined;
}

/**
 * Builds the pinned CLI from the Go module proxy into the project cache. Go's module and build
 * caches make a second build (e.g. in a fresh clone on the same machine) take seconds.
 */
export function buildTemporalCli(onOutput: (line: string) => void = () => undefined): {
  path: string;
  seconds: number;
} {
  if (!goAvailable()) {
    throw new Error('Go is not installed, so the Temporal CLI cannot be built.');
  }
  mkdirSync(cliCacheDir, { recursive: true });
  const started = Date.now();
  onOutput(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cliCacheDir} (first time only)…`);
  const result = spawnSync('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: cliCacheDir, GOFLAGS: '-buildvcs=false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !existsSync(cachedCliPath)) {
    throw new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${result.status}).`);
  }
  return { path: cachedCliPath, seconds: (Date.now() - started) / 1000 };
}

export const missingCliHelp =
  'No Temporal server is available.\n' +
  '  Do one of these:\n' +
  '  - set TEMPORAL_ADDRESS to a running Temporal server (host:port);\n' +
  `  - install Go (https://go.dev/dl) and run: npm run temporal:install;\n` +
  '  - put a Temporal CLI binary on PATH, or set TEMPORAL_CLI_PATH to it.';
