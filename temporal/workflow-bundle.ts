import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from './worker.ts';

/**
 * Production workers load workflow code bundled ahead of time: webpack at start-up costs seconds
 * and hundreds of MB per worker, and a prebuilt bundle pins exactly the code that was tested.
 */
export async function writeWorkflowBundle(file: string): Promise<{ bytes: number }> {
  // With the tracing interceptors: they cost next to nothing while tracing is off, and switching
  // OTEL_EXPORTER_OTLP_ENDPOINT on then needs no rebuild.
  const { code } = await bundleWorkflows({ tracing: true });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return { bytes: Buffer.byteLength(code) };
}

export function readWorkflowBundle(file: string): WorkflowBundle {
  if (!existsSync(file)) {
    throw new Error(
      `WORKFLOW_BUNDLE points to ${file}, which does not exist. Build it with \`npm run build:workflows\`, ` +
        'or unset WORKFLOW_BUNDLE to bundle at start-up.',
    );
  }
  return { code: readFileSync(file, 'utf8') };
}
