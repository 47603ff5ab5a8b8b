import http from 'node:http';
import type { Express } from 'express';
import { StartupError } from '../platform/processes.ts';

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
