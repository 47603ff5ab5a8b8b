import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../temporal/cli.ts';
import { freePort, isAlive } from './processes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Launched {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(env: NodeJS.ProcessEnv): Launched {
  const child = spawn(process.execPath, ['platform/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until(predicate: () => boolean, what: string, launched: Launched, timeoutMs = 100_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (launched.child.exitCode !== null) {
      throw new Error(
        `launcher exited (${launched.child.exitCode}) before ${what}:\n${launched.stdout()}\n${launched.stderr()}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}:\n${launched.stdout()}\n${launched.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start (the all-in-one launcher)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lma-launcher-'));
    chmodSync(dataDir, 0o755);
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_CLI_PATH: findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined)!.path,
      PORT: String(await freePort()),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      ADMIN_EMAIL: 'owner@store.example',
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts everything on embedded defaults, and Ctrl-C leaves nothing running; a restart reuses the data', async () => {
    const first = launch(env);
    await until(() => first.stdout().includes('Press Ctrl-C to stop.'), 'the start-up banner', first);
    expect(first.stdout()).toMatch(/e-mail: +owner@store\.example/);
    const password = /password: +(\S+)/.exec(first.stdout())?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(32);
    // The one-time password goes to the terminal only, never into the JSON log lines.
    expect(
      first
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes(password!)),
    ).toEqual([]);

    const ready = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
    expect(ready.status).toBe(200);
    const ui = await fetch(`http://localhost:${env.TEMPORAL_UI_PORT}/api/v1/namespaces/liquor-marketing`);
    expect(ui.status).toBe(200);
    expect(JSON.stringify(await ui.json())).toContain('liquor-marketing');
    // The worker's Temporal SDK metrics, with the self-check workflow it ran at start-up.
    const sdkMetrics = await (await fetch(`http://${env.WORKER_METRICS_ADDRESS}/metrics`)).text();
    expect(sdkMetrics).toMatch(/^temporal_workflow_completed\{.*workflow_type="selfCheckWorkflow"/m);

    const children = ['postgres/server.pid', 'temporal.pid'].map((f) =>
      Number(readFileSync(path.join(dataDir!, f), 'utf8')),
    );
    expect(children.every(isAlive)).toBe(true);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);

    const second = launch(env);
    await until(() => second.stdout().includes('Press Ctrl-C to stop.'), 'the second start-up banner', second);
    expect(second.stdout()).not.toContain('First start');
    expect((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 240_000);

  it('explains a taken port instead of crashing', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const run = launch({ ...env, EMBEDDED_POSTGRES_PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr()).toContain('EMBEDDED_POSTGRES_PORT');
    } finally {
      blocker.close();
    }
  }, 60_000);
});
