import http from 'node:http';
import type { Express } from 'express';
import { StartupError } from '../platform/processes.ts';

/**
 * Node flags for a process that serves only the API (ROLE=api). On a machine with memory to spare
 * V8 lets the young generation grow to 2 × 64 MiB semi-spaces and the old generation to four times
 * its live data between full collections: 300–490 MiB resident under load for ~50 MiB of live heap.
 * 32 MiB semi-spaces still collect well after an API request's garbage is dead (scavenges every
 * ~60 ms against a p99 of ~25 ms; at 16 MiB more of it was promoted and collected again), and a
 * 1 GiB old-space limit — room for a 50 MB JSON import, and under V8's 2 GiB threshold, which also
 * caps the old generation's growth between collections at ~1.6× — keeps it at 240–275 MiB at the
 * same throughput (BENCHMARKS.md, `api`). A worker's load is different (temporal/worker.ts).
 * V8 reads them only at start-up, so they go on the command line or in NODE_OPTIONS.
 */
export const apiNodeOptions = ['--max-semi-space-size=32', '--max-old-space-size=1024'] as const;

export interface ApiServer {
  server: http.Server;
  url: string;
  /** Stops accepting connections and waits for in-flight requests, then drops idle keep-alives. */
  close(timeoutMs?: number): Promise<void>;
}

/** What else shares the API's HTTP server: the real-time WebSocket endpoint (api/realtime/). */
export interface Upgrades {
  attach(server: http.Server): void;
  /** Closed first on shutdown: upgraded sockets would otherwise hold server.close() open. */
  close(): Promise<void>;
}

export async function listen(
  app: Express,
  port: number,
  host: string,
  opts: { upgrades?: Upgrades } = {},
): Promise<ApiServer> {
  const server = http.createServer(app);
  opts.upgrades?.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new StartupError(
            `Port ${port} on ${host} is already in use, so the API cannot start there.\n` +
              `  Find the process with: ss -ltnp 'sport = :${port}'\n  Then stop it, or set PORT to a free port.`,
          ),
        );
      } else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}`,
    close: async (timeoutMs = 10_000) => {
      await opts.upgrades?.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
