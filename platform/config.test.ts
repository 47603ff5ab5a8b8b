import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';

describe('config', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      ROLE: 'all',
      TEMPORAL_NAMESPACE: 'liquor-marketing',
      TEMPORAL_UI_PORT: 8233,
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.TEMPORAL_ADDRESS).toBeUndefined();
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' })).toMatchObject({
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
    });
  });

  it('names every invalid setting in one clear error', () => {
    const parse = () => parseConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', STORE_TIME_ZONE: 'Mars/Olympus' });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/PORT[\s\S]*DATABASE_URL[\s\S]*STORE_TIME_ZONE/);
  });

  it('reads the observability and CORS settings: tracing off, worker metrics on loopback, no other origins', () => {
    const defaults = parseConfig({});
    expect(defaults).toMatchObject({ CORS_ORIGINS: [], WORKER_METRICS_ADDRESS: '127.0.0.1:9464' });
    expect(defaults.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(
      parseConfig({
        CORS_ORIGINS: 'https://shop.example.com/, http://localhost:5173',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        WORKER_METRICS_ADDRESS: '',
      }),
    ).toMatchObject({
      CORS_ORIGINS: ['https://shop.example.com', 'http://localhost:5173'],
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      WORKER_METRICS_ADDRESS: '127.0.0.1:9464',
    });
    expect(parseConfig({ WORKER_METRICS_ADDRESS: 'off' }).WORKER_METRICS_ADDRESS).toBe('off');
    expect(() => parseConfig({ CORS_ORIGINS: 'https://shop.example.com/app' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig({ WORKER_METRICS_ADDRESS: '9464' })).toThrow(/WORKER_METRICS_ADDRESS/);
  });

  it('has no default for any secret', () => {
    const c = parseConfig({}) as Record<string, unknown>;
    const secretish = Object.keys(c).filter((k) => /(PASSWORD|SECRET|API_KEY|AUTH_TOKEN)$/.test(k));
    expect(secretish.filter((k) => c[k] !== undefined)).toEqual([]);
  });
});
