import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { bundleWorkflows } from '../temporal/worker.ts';
import type { selfCheckWorkflow } from '../workflows/self-check.ts';
import { eventually, startTestApi, type TestApi } from './testing/api.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';
import { startTestWorkers, temporalTestTarget, type TestWorkers } from './testing/temporal.ts';
import { createLogger } from './logger.ts';
import { startTracing, type Tracing } from './tracing.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

/** A collector's OTLP/HTTP trace endpoint: POST /v1/traces with the JSON encoding. */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tracing across the API, Temporal and activities', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: Tracing;
  let t: TestDatabase;
  let workers: TestWorkers;
  let temporal: TemporalClient;
  let api: TestApi;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing({ endpoint: `${receiver.url}/`, serviceName: 'lma-tracing-test', immediate: true })!;
    t = await createTestDatabase();
    workers = await startTestWorkers(t.db, {}, { tracing });
    temporal = await connectTemporalClient(temporalTestTarget().address, temporalTestTarget().namespace, {
      tracing: true,
    });
    const log = createLogger('info', 'tracing-test', { write: (l: string) => void logLines.push(JSON.parse(l)) });
    api = await startTestApi(t.db, {
      workflows: { client: temporal.client, queues: workers.queues },
      tracing: true,
      log,
    });
  });
  afterAll(async () => {
    await api?.close();
    await temporal?.close();
    await workers?.close();
    await tracing?.shutdown();
    await receiver?.close();
    await t?.drop();
  });

  it('is off unless an OTLP endpoint is configured', () => {
    expect(startTracing({ serviceName: 'lma' })).toBeUndefined();
  });

  it('puts a request, the workflow it starts and that workflow’s activities in one trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await api.request('POST', '/api/scoring/runs', {
      token: await api.tokenFor('manager'),
      body: {},
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(res.status).toBe(202);
    const { workflowId } = await res.json();
    // The run's outcome on an empty customer base does not matter here, only that it ran.
    await temporal.client.workflow
      .getHandle(workflowId)
      .result()
      .catch(() => undefined);
    await tracing.flush();

    const named = (name: string) => receiver.spans.find((s) => s.name === name);
    await eventually(async () => named('RunWorkflow:scoreCustomersWorkflow') && named('RunActivity:startScoringRun'));
    const request = named('POST /api/scoring/runs')!;
    const start = named('StartWorkflow:scoreCustomersWorkflow')!;
    const run = named('RunWorkflow:scoreCustomersWorkflow')!;
    const scheduled = named('StartActivity:startScoringRun')!;
    const activity = named('RunActivity:startScoringRun')!;

    for (const span of [request, start, run, scheduled, activity]) {
      expect(span, 'span exported').toBeDefined();
      expect(span.traceId, span.name).toBe(traceId);
      expect(span.service).toBe('lma-tracing-test');
    }
    // The caller's traceparent is the request span's parent; each step hangs off the one before.
    expect(request.parentSpanId).toBe(callerSpanId);
    expect(start.parentSpanId).toBe(request.spanId);
    expect(run.parentSpanId).toBe(start.spanId);
    expect(scheduled.parentSpanId).toBe(run.spanId);
    expect(activity.parentSpanId).toBe(scheduled.spanId);
    expect(receiver.spans.filter((s) => s.traceId !== traceId)).toEqual([]);
    // The request's log line names the trace, so that one leads to the other.
    expect(logLines.find((l) => l.route === '/api/scoring/runs')).toMatchObject({ traceId, status: 202 });
  });

  it('traces workflows run from a bundle built ahead of time, as production workers do', async () => {
    const prebuilt = await startTestWorkers(
      t.db,
      {},
      { tracing, workflowBundle: await bundleWorkflows({ tracing: true }) },
    );
    try {
      const parent = trace.getTracer('lma-test').startSpan('operator runs a self-check');
      const traceId = parent.spanContext().traceId;
      await context.with(trace.setSpan(context.active(), parent), () =>
        temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', {
          taskQueue: prebuilt.queues.workflows,
          workflowId: `self-check-${traceId}`,
        }),
      );
      parent.end();
      await tracing.flush();
      const inTrace = await eventually(async () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
        return spans.includes('RunWorkflow:selfCheckWorkflow') && spans.includes('RunActivity:checkDatabase')
          ? spans
          : undefined;
      });
      expect(inTrace).toEqual(
        expect.arrayContaining(['StartWorkflow:selfCheckWorkflow', 'operator runs a self-check']),
      );
    } finally {
      await prebuilt.close();
    }
  });
});
