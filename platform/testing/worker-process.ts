import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workerNodeOptions } from '../../temporal/worker.ts';

/**
 * A worker in a child process (platform/testing/sends-worker.ts), for the crash test and the
 * send benchmarks: started with its own environment, stopped, or SIGKILLed mid-work.
 */

const workerScript = fileURLToPath(new URL('./sends-worker.ts', import.meta.url));

/** Starts the worker and resolves once it polls its task queues. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // Run as production runs a worker (docker-compose.yml sets the same flags).
  const proc = spawn(process.execPath, [...workerNodeOptions, workerScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(proc);
    });
  });
}

/** SIGKILL (a crash: nothing runs after it) or SIGTERM (a shutdown), and the exit. */
export async function stopWorkerProcess(proc: ChildProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}
