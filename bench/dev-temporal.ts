import type { Logger } from '../platform/logger.ts';
import { freePort } from '../platform/processes.ts';
import { findTemporalCli } from '../temporal/cli.ts';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { startDevServer, type DevServer } from '../temporal/dev-server.ts';

export const BENCH_NAMESPACE = 'lma-bench';

export interface BenchTemporal {
  server: DevServer;
  /** The benchmark process's one client. */
  temporal: TemporalClient;
  stop(): Promise<void>;
}

/** A headless Temporal dev server of the benchmark's own on a free port, and a client for it. */
export async function startBenchTemporal(log: Logger, namespace = BENCH_NAMESPACE): Promise<BenchTemporal> {
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
  if (!cli) throw new Error('No Temporal CLI found; run `npm run temporal:install`.');
  const server = await startDevServer({ cliPath: cli.path, namespace, port: await freePort(), uiPort: false, log });
  const temporal = await connectTemporalClient(server.address, namespace);
  return {
    server,
    temporal,
    async stop() {
      await temporal.close();
      await server.stop();
    },
  };
}
