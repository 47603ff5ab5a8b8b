import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../platform/config.ts';
import { ConfigError } from '../platform/config.ts';

type TlsConfig = Pick<
  Config,
  | 'TEMPORAL_TLS_CERT_FILE'
  | 'TEMPORAL_TLS_KEY_FILE'
  | 'TEMPORAL_TLS_CA_FILE'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_API_KEY_FILE'
>;

/** What both the client's Connection and the worker's NativeConnection need beyond the address. */
export interface TemporalConnectionOptions {
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * mTLS for a self-hosted cluster (client certificate + key, optionally a private CA), or an API
 * key for Temporal Cloud. Nothing set: plaintext, as the embedded dev server expects.
 */
export function temporalConnectionOptions(cfg: TlsConfig): TemporalConnectionOptions {
  const read = (setting: keyof TlsConfig, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  };
  const cert = cfg.TEMPORAL_TLS_CERT_FILE;
  const key = cfg.TEMPORAL_TLS_KEY_FILE;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together: set both or neither.');
  }
  const apiKey =
    cfg.TEMPORAL_API_KEY ??
    (cfg.TEMPORAL_API_KEY_FILE
      ? read('TEMPORAL_API_KEY_FILE', cfg.TEMPORAL_API_KEY_FILE).toString('utf8').trim()
      : undefined);
  const wantsTls = Boolean(cert || cfg.TEMPORAL_TLS_CA_FILE || cfg.TEMPORAL_TLS_SERVER_NAME || apiKey);
  if (!wantsTls) return {};
  const tls: TLSConfig = {
    ...(cert && key
      ? {
          clientCertPair: {
            crt: read('TEMPORAL_TLS_CERT_FILE', cert),
            key: read('TEMPORAL_TLS_KEY_FILE', key),
          },
        }
      : {}),
    ...(cfg.TEMPORAL_TLS_CA_FILE
      ? { serverRootCACertificate: read('TEMPORAL_TLS_CA_FILE', cfg.TEMPORAL_TLS_CA_FILE) }
      : {}),
    ...(cfg.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: cfg.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  return { tls, ...(apiKey ? { apiKey } : {}) };
}
