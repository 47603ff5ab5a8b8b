import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TemporalConnectionOptions } from './connection-options.ts';

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * The one Temporal client of a process; created at start-up and passed down, never per request.
 * With `tracing`, starting, signalling, updating and querying a workflow are spans that carry
 * the caller's trace context to the workflow in its headers.
 */
export async function connectTemporalClient(
  address: string,
  namespace: string,
  opts: { tracing?: boolean; connection?: TemporalConnectionOptions } = {},
): Promise<TemporalClient> {
  const connection = await Connection.connect({ address, ...opts.connection });
  const client = new Client({
    connection,
    namespace,
    ...(opts.tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  return { client, connection, close: () => connection.close() };
}

export async function isTemporalReachable(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  }
}
