import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../platform/config.ts';
import { temporalConnectionOptions } from './connection-options.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A private CA that signs a server certificate for localhost and a client certificate for the worker. */
function makeCertificates(): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ['client', 'lma-worker', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
}

describe('Temporal connection options', () => {
  let server: http2.Http2SecureServer;
  let port: number;
  const clientNames: string[] = [];
  beforeAll(async () => {
    makeCertificates();
    // Stands in for a cluster frontend that demands client certificates: it records who connected.
    server = http2.createSecureServer({
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('secureConnection', (socket: TLSSocket) =>
      clientNames.push(String(socket.getPeerCertificate().subject.CN)),
    );
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is plaintext when nothing is set, as the embedded dev server expects', () => {
    expect(temporalConnectionOptions(parseConfig({}))).toEqual({});
  });

  it('presents the client certificate to a cluster that requires mTLS, trusting a private CA', async () => {
    const opts = temporalConnectionOptions(
      parseConfig({
        TEMPORAL_TLS_CERT_FILE: file('client.pem'),
        TEMPORAL_TLS_KEY_FILE: file('client.key'),
        TEMPORAL_TLS_CA_FILE: file('ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      }),
    );
    // The stand-in answers every call with UNIMPLEMENTED; reaching it over mTLS is what counts.
    await Connection.connect({ address: `127.0.0.1:${port}`, ...opts, connectTimeout: '5s' }).catch(() => undefined);
    expect(clientNames).toContain('lma-worker');
  });

  it('turns TLS on for a Temporal Cloud API key read from a secret file', () => {
    writeFileSync(file('api-key'), 'cloud-api-key-value\n');
    const opts = temporalConnectionOptions(parseConfig({ TEMPORAL_API_KEY_FILE: file('api-key') }));
    expect(opts).toEqual({ tls: {}, apiKey: 'cloud-api-key-value' });
  });

  it('names the setting when a certificate is missing or only half of the pair is set', () => {
    expect(() => temporalConnectionOptions(parseConfig({ TEMPORAL_TLS_CERT_FILE: file('client.pem') }))).toThrow(
      /set both or neither/,
    );
    expect(() =>
      temporalConnectionOptions(
        parseConfig({ TEMPORAL_TLS_CERT_FILE: file('nope.pem'), TEMPORAL_TLS_KEY_FILE: file('client.key') }),
      ),
    ).toThrow(/TEMPORAL_TLS_CERT_FILE: cannot read .*nope\.pem \(ENOENT\)/);
  });
});
