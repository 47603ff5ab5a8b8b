import { setTimeout as sleep } from 'node:timers/promises';
import { type Connection, isGrpcServiceError } from '@temporalio/client';

const ALREADY_EXISTS = 6; // gRPC status code
import { msToTs } from '@temporalio/common';
import proto from '@temporalio/proto';
import { projectSearchAttributes } from './search-attributes.ts';

/**
 * On an external cluster, registers the project's namespace and search attributes if they are
 * missing. (The dev server gets both from its command line.) Safe to run on every start.
 */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays = 30): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'Liquor Marketing Agent campaigns and journeys',
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
  } catch (err) {
    if (!isGrpcServiceError(err) || err.code !== ALREADY_EXISTS) throw err;
  }
  // A new namespace becomes usable once the frontend's namespace cache has refreshed.
  for (let attempt = 0; ; attempt++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      break;
    } catch (err) {
      if (attempt > 60) throw err;
      await sleep(500);
    }
  }

  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = projectSearchAttributes.filter((a) => !known.has(a.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((a) => [a.name, proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${a.type}`]]),
    ),
  });
}
