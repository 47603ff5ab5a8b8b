import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityDeps } from '../activities/settings.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { temporalTestTarget, testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import type { selfCheckWorkflow } from '../workflows/self-check.ts';
import { connectTemporalClient } from './client.ts';
import { startWorkers } from './worker.ts';
import { readWorkflowBundle, writeWorkflowBundle } from './workflow-bundle.ts';

describe('a workflow bundle built ahead of time', () => {
  let t: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-bundle-'));
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is written to a file that a worker polling only some task queues runs workflows from', async () => {
    const file = path.join(dir, 'nested', 'workflow-bundle.js');
    const { bytes } = await writeWorkflowBundle(file);
    expect(bytes).toBeGreaterThan(10_000);
    const bundle = readWorkflowBundle(file);
    expect(bundle.code).toContain('selfCheckWorkflow');

    const cfg = parseConfig({ WORKER_TASK_QUEUES: 'workflows, scoring,workflows' });
    expect(cfg.WORKER_TASK_QUEUES).toEqual(['workflows', 'scoring']);
    const prefix = testTaskQueue('bundle');
    const queues = {
      workflows: `${prefix}-workflows`,
      sends: `${prefix}-sends`,
      scoring: `${prefix}-scoring`,
      planning: `${prefix}-planning`,
    };
    const target = temporalTestTarget();
    // The self-check's activity runs on the workflows queue, so this pair of queues is enough.
    const workers = await startWorkers({
      ...target,
      queues,
      kinds: cfg.WORKER_TASK_QUEUES,
      workflowBundle: bundle,
      deps: activityDeps(parseConfig({ UNSUBSCRIBE_SECRET: 'x'.repeat(40) }), t.db, testLog),
    });
    const temporal = await connectTemporalClient(target.address, target.namespace);
    try {
      expect(workers.workers.map((w) => w.options.taskQueue).sort()).toEqual([queues.scoring, queues.workflows]);
      const workflowId = `self-check-${randomUUID()}`;
      const result = await temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', {
        taskQueue: queues.workflows,
        workflowId,
      });
      expect(result).toMatchObject({ workflowId, taskQueue: queues.workflows });
    } finally {
      await workers.shutdown();
      await temporal.close();
    }
  });

  it('refuses a bundle path that does not exist, saying how to build one', () => {
    expect(() => readWorkflowBundle(path.join(dir, 'missing.js'))).toThrow(/npm run build:workflows/);
  });

  it('rejects an unknown task queue kind in the config', () => {
    expect(() => parseConfig({ WORKER_TASK_QUEUES: 'workflows,emails' })).toThrow(/WORKER_TASK_QUEUES/);
  });
});
