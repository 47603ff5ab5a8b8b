import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { selfCheckWorkflow } from '../workflows/self-check.ts';
import { installRuntimeLogger } from '../temporal/worker.ts';
import { eventually, startTestApi, type TestApi } from './testing/api.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';
import { startTestWorkers, testLog, type TestWorkers } from './testing/temporal.ts';

const deploy = (file: string) => readFileSync(new URL(`../deploy/${file}`, import.meta.url), 'utf8');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: { job_name: string; metrics_path?: string }[];
}
interface Dashboard {
  panels: { title: string; type: string; targets?: { expr: string }[] }[];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Series names in Prometheus' text format, with a histogram's _bucket/_sum/_count even before it has samples. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    } else if (line && !line.startsWith('#')) names.add(line.split(/[{ ]/)[0]!);
  }
  return names;
}

/** Metric names a PromQL expression reads: ours, the SDK's, the process defaults, and `up`. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  return [...withoutStrings.matchAll(/\b(?:lma[_:]|temporal_|process_|nodejs_)[\w:]+|\bup\b(?=\s*[{)=])/g)].map(
    (m) => m[0],
  );
}

describe('monitoring files in deploy/', () => {
  let t: TestDatabase;
  let workers: TestWorkers;
  let api: TestApi;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    const address = `127.0.0.1:${await freePort()}`;
    workerMetricsUrl = `http://${address}/metrics`;
    // Before any worker of this process exists, as the launcher does.
    installRuntimeLogger(testLog, { metricsAddress: address });
    t = await createTestDatabase();
    workers = await startTestWorkers(t.db);
    api = await startTestApi(t.db);
    // One workflow with an activity, so the SDK has latencies and completions to report.
    await workers.temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', {
      taskQueue: workers.queues.workflows,
      workflowId: `self-check-${Date.now()}`,
    });
  });
  afterAll(async () => {
    await api?.close();
    await workers?.close();
    await t?.drop();
  });

  it('serves the Temporal SDK metrics of the worker on the configured address', async () => {
    const text = await eventually(async () => {
      const body = await (await fetch(workerMetricsUrl)).text();
      return body.includes('temporal_workflow_completed') ? body : undefined;
    }, 20_000);
    expect(text).toMatch(/^temporal_worker_task_slots_available\{.*task_queue="[^"]+".*\} \d+/m);
    expect(text).toMatch(/^temporal_activity_execution_latency_bucket\{/m);
  });

  it('uses only metrics that the API and the worker export, and only jobs that Prometheus scrapes', async () => {
    const apiText = await (await api.request('GET', '/metrics', { token: await api.tokenFor('admin') })).text();
    const workerText = await (await fetch(workerMetricsUrl)).text();
    const exported = new Set([...exportedNames(apiText), ...exportedNames(workerText), 'up']);

    const config = parseYaml(deploy('prometheus/prometheus.yml')) as PrometheusConfig;
    const jobs = config.scrape_configs.map((s) => s.job_name);
    expect(jobs).toEqual(['lma-api', 'lma-worker']);
    const rules = config.rule_files.map((f) => parseYaml(deploy(`prometheus/${f}`)) as RuleFile);
    const allRules = rules.flatMap((r) => r.groups.flatMap((g) => g.rules));
    const recorded = new Set(allRules.flatMap((r) => (r.record ? [r.record] : [])));

    const dashboard = JSON.parse(deploy('grafana/dashboards/liquor-marketing-agent.json')) as Dashboard;
    const queries = [
      ...allRules.map((r) => ({ where: r.alert ?? r.record!, expr: r.expr })),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `panel "${p.title}"`, expr: q.expr }))),
    ];
    expect(queries.length).toBeGreaterThan(20);
    for (const { where, expr } of queries) {
      const used = metricsIn(expr);
      expect(used.length, `${where} reads a metric`).toBeGreaterThan(0);
      for (const name of used) expect(exported.has(name) || recorded.has(name), `${where}: ${name}`).toBe(true);
      for (const [, job] of expr.matchAll(/job="([^"]+)"/g)) expect(jobs, `${where}: job ${job}`).toContain(job);
    }
  });

  it('alerts on failed sends, webhook lag, unmatched webhook events, a worker down and API errors', () => {
    const rules = parseYaml(deploy('prometheus/alerts.yml')) as RuleFile;
    const alerts = Object.fromEntries(
      rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [[r.alert, r.expr]] : []))),
    ) as Record<string, string>;
    expect(alerts.LmaFailedSendRateHigh).toContain('status=~"failed|bounced"');
    expect(alerts.LmaWebhookLagHigh).toContain('lma_webhook_lag_seconds_bucket');
    expect(alerts.LmaWebhookEventsUnmatched).toContain('lma_engagement_events_total{result="unmatched"}');
    expect(alerts.LmaWorkerDown).toBe('up{job="lma-worker"} == 0');
    expect(alerts.LmaApiErrorRateHigh).toContain('status=~"5.."');
  });
});
