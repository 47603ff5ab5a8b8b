import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  buildTemporalCli,
  findTemporalCli,
  goAvailable,
  missingCliHelp,
  TEMPORAL_CLI_VERSION,
} from '../temporal/cli.ts';
import { startDevServer } from '../temporal/dev-server.ts';
import { projectSearchAttributes } from '../temporal/search-attributes.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { assertPortFree, StartupError } from './processes.ts';

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string;
  source: string;
  stop(): Promise<void>;
}

/**
 * The embedded Temporal server, found in DESIGN.md's order: a binary from TEMPORAL_CLI_PATH, the
 * project cache or PATH; else build it with Go; else the SDK's download (needs the internet).
 */
export async function startEmbeddedTemporal(cfg: Config, log: Logger): Promise<EmbeddedTemporal> {
  let cli = findTemporalCli(cfg.TEMPORAL_CLI_PATH);
  if (!cli && goAvailable()) {
    const built = buildTemporalCli((line) => log.info(line));
    log.info({ seconds: built.seconds }, 'Temporal CLI built');
    cli = { path: built.path, source: 'project cache' };
  }
  const dbFile = path.join(cfg.dataDir, 'temporal.sqlite');
  if (cli) {
    const server = await startDevServer({
      cliPath: cli.path,
      namespace: cfg.TEMPORAL_NAMESPACE,
      port: cfg.TEMPORAL_DEV_PORT,
      uiPort: cfg.TEMPORAL_UI_PORT,
      dbFile,
      pidFile: path.join(cfg.dataDir, 'temporal.pid'),
      log,
    });
    return { address: server.address, uiUrl: server.uiUrl!, source: `${cli.path} (${cli.source})`, stop: server.stop };
  }

  log.warn('no Temporal CLI binary and no Go toolchain; trying the Temporal SDK download');
  const remedy = 'set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT to free ports.';
  await assertPortFree(cfg.TEMPORAL_DEV_PORT, 'the Temporal dev server', remedy);
  await assertPortFree(cfg.TEMPORAL_UI_PORT, 'the Temporal Web UI', remedy);
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: path.join(cfg.dataDir, '..', '.cache', 'temporal') },
        ip: '127.0.0.1',
        port: cfg.TEMPORAL_DEV_PORT,
        ui: true,
        uiPort: cfg.TEMPORAL_UI_PORT,
        namespace: cfg.TEMPORAL_NAMESPACE,
        dbFilename: dbFile,
        searchAttributes: projectSearchAttributes,
      },
    });
    return {
      address: `127.0.0.1:${cfg.TEMPORAL_DEV_PORT}`,
      uiUrl: `http://localhost:${cfg.TEMPORAL_UI_PORT}`,
      source: 'Temporal SDK download',
      stop: () => env.teardown(),
    };
  } catch (err) {
    throw new StartupError(
      `${missingCliHelp}\n  (The SDK's download of the Temporal CLI failed too: ${(err as Error).message}; ` +
        `the pinned version to build is ${TEMPORAL_CLI_VERSION}.)`,
    );
  }
}
