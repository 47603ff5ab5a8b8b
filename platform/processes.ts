import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.ts';

/**
 * Supervision of the embedded services (PostgreSQL, the Temporal dev server) that the launcher
 * and the test harness run as child processes.
 *
 * Children get their own process group, so a Ctrl-C in the terminal reaches only the launcher,
 * which then stops things in order: worker drains first, servers after. A pid file per service
 * lets the next start clean up after a launcher that was killed outright.
 */

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  /** Resolves once the service answers; rejects or times out otherwise. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Signal for an orderly stop (Postgres: SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
  pidFile?: string;
  log: Logger;
}

export interface Service {
  readonly name: string;
  readonly pid: number;
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

// Last resort when the launcher dies from an exception: never leave servers behind.
process.once('exit', () => {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export async function startService(spec: ServiceSpec): Promise<Service> {
  const { log } = spec;
  const child = spawn(spec.command, spec.args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: spec.uid,
    gid: spec.gid,
    env: spec.env ?? process.env,
  });
  running.add(child);
  const tail: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log.debug({ service: spec.name }, line);
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : 0);
      running.delete(child);
      if (spec.pidFile) rmSync(spec.pidFile, { force: true });
      resolve();
    });
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new StartupError(`${spec.name} could not be started (${spec.command}): ${err.message}`)),
    );
  });
  spawnError.catch(() => undefined);

  if (!child.pid) await spawnError;
  const pid = child.pid!;
  if (spec.pidFile) writeFileSync(spec.pidFile, String(pid));

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) {
      throw new StartupError(
        `${spec.name} exited during start-up (code ${exitCode}). Its last output:\n${tail.join('\n')}`,
      );
    }
    if (await Promise.race([spec.ready().catch(() => false), spawnError])) break;
    if (Date.now() > deadline) {
      await stop(5_000);
      throw new StartupError(`${spec.name} did not become ready in time. Its last output:\n${tail.join('\n')}`);
    }
    await sleep(150);
  }

  async function stop(timeoutMs = 20_000): Promise<void> {
    if (exitCode !== undefined) return;
    signalGroup(pid, spec.stopSignal ?? 'SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(timeoutMs, true, { ref: false })]);
    if (timedOut) {
      log.warn({ service: spec.name }, 'did not stop in time; killing it');
      signalGroup(pid, 'SIGKILL');
      await exited;
    }
  }

  return { name: spec.name, pid, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A launcher killed with SIGKILL leaves its children running. Their pid files name them; stop
 * them before starting again, but only when the pid still runs the expected program.
 */
export async function stopLeftover(pidFile: string, program: string, log: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(program)) return;
  log.warn({ pid, program }, 'stopping a server left running by an earlier launcher');
  signalGroup(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number, what: string, remedy: string, host = '127.0.0.1'): Promise<void> {
  if (await isPortFree(port, host)) return;
  throw new StartupError(
    `Port ${port} on ${host} is already in use, so ${what} cannot start there.\n` +
      `  Find the process with: ss -ltnp 'sport = :${port}'\n  Then stop it, or ${remedy}`,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
