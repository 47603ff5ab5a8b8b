import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A secret comes from its environment variable, else from a secret file (e.g. a mounted Docker
 * or Kubernetes secret), else — on embedded defaults only — it is generated once and kept under
 * DATA_DIR with mode 0600. Never a built-in default.
 */
export function resolveSecret(opts: { value?: string; file?: string; dataDir: string; name: string }): string {
  if (opts.value) return opts.value;
  if (opts.file) {
    const fromFile = readFileSync(opts.file, 'utf8').trim();
    if (fromFile.length < 32) throw new Error(`The secret in ${opts.file} is shorter than 32 characters.`);
    return fromFile;
  }
  const dir = path.join(opts.dataDir, 'secrets');
  const file = path.join(dir, opts.name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}
