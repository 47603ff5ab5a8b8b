import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiNodeOptions } from '../api/server.ts';
import { workerNodeOptions } from '../temporal/worker.ts';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  healthcheck?: { test: unknown };
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  env_file?: string;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema that `docker compose config` uses', () => {
    // The schema ships with compose-go, the library behind `docker compose config` (deploy/compose-spec.json).
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    // Its $schema says https://…/draft-07/schema; Ajv knows draft-07 by its canonical http://… id.
    const { $schema: _draft07, ...schema } = JSON.parse(read('deploy/compose-spec.json')) as Record<string, unknown>;
    const validate = ajv.compile(schema);
    // Like compose, YAML merge keys (`<<: *app`) are resolved before the schema is applied.
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('runs the platform as separate API and scalable worker services on PostgreSQL and a Temporal cluster', () => {
    const s = compose.services;
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['postgres', 'temporal-schema', 'temporal', 'temporal-ui', 'api', 'worker']),
    );
    expect(s.api!.environment).toMatchObject({ ROLE: 'api', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(s.worker!.environment).toMatchObject({ ROLE: 'worker', TEMPORAL_ADDRESS: 'temporal:7233' });
    // The flags the send benchmark's worker runs with, so its memory figure is production's.
    expect(s.worker!.environment!.NODE_OPTIONS).toBe(workerNodeOptions.join(' '));
    // And the API benchmark's API process.
    expect(s.api!.environment!.NODE_OPTIONS).toBe(apiNodeOptions.join(' '));
    expect(String(s.api!.environment!.DATABASE_URL)).toMatch(
      /^postgres:\/\/lma:\$\{LMA_DB_PASSWORD:\?.*\}@postgres:5432\/lma$/,
    );
    // Scaling with --scale needs no fixed container name or host port on the worker.
    expect(s.worker).not.toHaveProperty('container_name');
    expect(s.worker!.ports).toBeUndefined();
    expect(s.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(s.temporal!.environment).toMatchObject({ DB: 'postgres12' });
    expect(s.prometheus!.profiles).toEqual(['monitoring']);
    expect(s.grafana!.profiles).toEqual(['monitoring']);
  });

  it('gives every long-running service a restart policy and a health check, and keeps data in named volumes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'temporal-schema') continue; // a one-shot step that exits when the schema is up to date
      expect(service.restart, name).toMatch(/^(unless-stopped|always|on-failure)/);
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    for (const volume of ['postgres-data', 'prometheus-data', 'grafana-data']) {
      expect(compose.volumes).toHaveProperty(volume);
    }
  });

  it('holds no secrets: every password comes from the env file, and .env.example names each one', () => {
    const text = read('docker-compose.yml');
    const required = [...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
    expect(required).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'LMA_DB_PASSWORD', 'TEMPORAL_DB_PASSWORD']));
    const example = read('.env.example');
    for (const name of new Set(required)) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
    for (const service of Object.values(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|API_KEY/.test(key)) expect(String(value), key).toMatch(/^\$\{\w+:\?/);
      }
    }
    // The example's secrets are blank, never sample values someone might deploy.
    for (const name of ['POSTGRES_PASSWORD', 'LMA_DB_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'AUTH_SECRET']) {
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
  });

  it('mounts only files that exist in the repository', () => {
    const mounts = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith('./'))
      .map((v) => v.split(':')[0]!);
    expect(mounts.length).toBeGreaterThan(2);
    for (const mount of mounts) expect(existsSync(path.join(root, mount)), mount).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('builds one image for API and workers in stages, with production dependencies only at run time', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=prod-deps .*\/app\/node_modules/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
  });

  it('ships the web app and a workflow bundle built ahead of time, and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/npm run web:build/);
    expect(dockerfile).toMatch(/npm run build:workflows -- dist\/workflow-bundle\.js/);
    expect(runtime).toMatch(/WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
  });

  it('copies every top-level source folder the processes import', () => {
    for (const folder of ['activities', 'api', 'domain', 'migrations', 'platform', 'temporal', 'workflows']) {
      expect(runtime).toMatch(new RegExp(`^COPY .* ${folder} \\./${folder}$`, 'm'));
    }
  });
});
