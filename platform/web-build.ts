import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The marketer app (web/) is a static build the API serves. `npm start` and `npm test` build it
 * when there is no build yet or its sources changed since, so nobody has to remember to.
 */

const webDir = fileURLToPath(new URL('../web/', import.meta.url));
export const webBuildDir = path.join(webDir, 'build');
const sources = ['src', 'static', 'svelte.config.js', 'vite.config.ts'].map((p) => path.join(webDir, p));

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** True when web/build is missing or older than any of its sources. */
export function webBuildIsStale(): boolean {
  const index = path.join(webBuildDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return sources.some((s) => newestMtime(s) > built);
}

function run(script: string, args: string[]): void {
  const bin = fileURLToPath(new URL(`../node_modules/${script}`, import.meta.url));
  // The build's chatter goes to stderr: stdout stays for the caller's own output (a benchmark's JSON).
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: webDir, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`Building the web app failed (${script} ${args.join(' ')}).`);
}

/** Builds web/ into web/build if needed; returns whether it built. */
export function ensureWebBuild(onBuild?: (message: string) => void): boolean {
  if (!webBuildIsStale()) return false;
  const started = Date.now();
  onBuild?.('building the web app (web/ changed or was never built)');
  run('@sveltejs/kit/svelte-kit.js', ['sync']);
  run('vite/bin/vite.js', ['build', '--logLevel', 'warn']);
  onBuild?.(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
