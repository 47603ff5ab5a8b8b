import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../platform/logger.ts';
import { assertPortFree, canConnect, startService, stopLeftover, type Service } from '../platform/processes.ts';
import { cliTypeName, projectSearchAttributes } from './search-attributes.ts';

export interface DevServerOptions {
  cliPath: string;
  namespace: string;
  port: number;
  /** Web UI port, or `false` for a headless server (tests). */
  uiPort: number | false;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server. */
  dbFile?: string;
  pidFile?: string;
  log: Logger;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  service: Service;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with the project's namespace and search attributes registered. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const { log, port } = opts;
  if (opts.pidFile) await stopLeftover(opts.pidFile, opts.cliPath, log);
  const remedy =
    'set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT to free ports, or TEMPORAL_ADDRESS to a running Temporal server.';
  await assertPortFree(port, 'the Temporal dev server', remedy);
  if (opts.uiPort !== false) await assertPortFree(opts.uiPort, 'the Temporal Web UI', remedy);

  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // As in the TypeScript SDK's own CI: much faster SQLite, still crash-safe enough for development.
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=OFF',
    ...projectSearchAttributes.flatMap((a) => ['--search-attribute', `${a.name}=${cliTypeName[a.type]}`]),
    ...(opts.dbFile ? ['--db-filename', path.resolve(opts.dbFile)] : []),
    ...(opts.uiPort === false ? ['--headless'] : ['--ui-port', String(opts.uiPort)]),
  ];

  const ready = async () => {
    // A gRPC connection attempt to a closed port lingers; knock on the TCP port first.
    if (!(await canConnect(port))) return false;
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: opts.namespace });
      return true;
    } finally {
      await connection.close();
    }
  };

  const service = await startService({
    name: 'temporal',
    command: opts.cliPath,
    args,
    ready,
    readyTimeoutMs: 90_000,
    stopSignal: 'SIGTERM',
    pidFile: opts.pidFile,
    log,
  });
  return {
    address,
    uiUrl: opts.uiPort === false ? undefined : `http://localhost:${opts.uiPort}`,
    service,
    stop: () => service.stop(),
  };
}
