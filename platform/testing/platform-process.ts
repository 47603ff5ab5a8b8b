import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The real entry point (platform/main.ts) in a child process, for the soak benchmark and the
 * log scans: its environment is the caller's plus `env`, its output is kept (all of it, or the
 * last `keepChars` characters of each stream for a long run).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface PlatformProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function launchPlatform(env: NodeJS.ProcessEnv, opts: { keepChars?: number } = {}): PlatformProcess {
  const child = spawn(process.execPath, ['platform/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = opts.keepChars ?? Infinity;
  let out = '';
  let err = '';
  const trim = (s: string) => (s.length > keep ? s.slice(-keep) : s);
  child.stdout!.on('data', (c: Buffer) => (out = trim(out + c.toString())));
  child.stderr!.on('data', (c: Buffer) => (err = trim(err + c.toString())));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once the start-up banner is printed; rejects if the process exits first or is too slow. */
export async function platformStarted(p: PlatformProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.stdout().includes('Press Ctrl-C to stop.')) {
    if (p.child.exitCode !== null) {
      throw new Error(`the platform exited (${p.child.exitCode}) before it started:\n${p.stderr().slice(-3_000)}`);
    }
    if (Date.now() > deadline) throw new Error(`the platform did not start in time:\n${p.stderr().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM, as an orchestrator stops it, and the exit code. */
export async function stopPlatform(p: PlatformProcess): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}

/** The first admin's one-time password, from the banner of the process that created it. */
export function firstAdminPassword(p: PlatformProcess): string | undefined {
  return /password: +(\S+)/.exec(p.stdout())?.[1];
}

/** Resident set (VmRSS) and its peak (VmHWM) of a process in MiB, from /proc (Linux); null once it is gone. */
export function residentMemory(pid: number): { rssMiB: number; peakMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mib = (field: string) =>
      Math.round((Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024) * 10) / 10;
    return { rssMiB: mib('VmRSS'), peakMiB: mib('VmHWM') };
  } catch {
    return null;
  }
}
