/**
 * The scoring worker of the `scoring` benchmark, in a process of its own so that its peak memory
 * is the scoring's alone, not the store loader's. Runs the scoring activities as the worker does
 * (each in a mock activity context, outside Temporal), times each, samples RSS, and sends the
 * figures to the parent. Started by bench/scoring.bench.ts; not a benchmark itself.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScoringActivities, type ScoringSettings } from '../activities/scoring.ts';
import { createDb, type Db } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';

export interface ScoringWorkerInput {
  databaseUrl: string;
  asOf: string;
  scoring: ScoringSettings;
}

export interface PhaseFigures {
  seconds: number;
  /**
   * From the start to the first heartbeat, between heartbeats, or from the last to the end; the
   * workflow gives the scoring steps a one-minute heartbeat timeout (and the others one minute in all).
   */
  longestWithoutHeartbeatSeconds: number;
  /** Sampled every 25 ms; the fits block the timer, see maxRssMiB. */
  peakRssMiB: number;
  /** CPU time of this process (user + system): unlike the seconds, it hardly moves with the machine's load. */
  workerCpuSeconds: number;
  /**
   * CPU time of the PostgreSQL server (postmaster and its children) when it runs on this machine
   * and the role may read postmaster.pid; null otherwise. Other databases on that server count too.
   */
  databaseCpuSeconds: number | null;
}

export interface ScoringWorkerFigures {
  runId: string;
  customers: { features: number; scored: number };
  totalSeconds: number;
  phases: Record<'start' | 'features' | 'fits' | 'writeBack' | 'finish', PhaseFigures>;
  heartbeats: number;
  rssAtStartMiB: number;
  /** The kernel's high-water mark for the whole worker process. */
  maxRssMiB: number;
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const TICKS_PER_SECOND = 100;

/** The PostgreSQL server's process id, if it runs here and the role may ask for it. */
async function serverPid(db: Db): Promise<number | null> {
  try {
    const { rows } = await db.raw<{ rows: { pid: string }[] }>(
      `select split_part(pg_read_file('postmaster.pid'), E'\n', 1) as pid`,
    );
    const pid = Number(rows[0]?.pid);
    return Number.isInteger(pid) && existsSync(`/proc/${pid}/stat`) ? pid : null;
  } catch {
    return null;
  }
}

/** CPU seconds used so far by the server and its live children, plus the children it has reaped. */
function serverCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name, which may hold spaces: state is field 3, ppid 4, utime 14.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [ppid, utime, stime, cutime, cstime] = [f[1], f[11], f[12], f[13], f[14]].map(Number) as number[];
    if (Number(entry) === pid) ticks += utime! + stime! + cutime! + cstime!;
    else if (ppid === pid) ticks += utime! + stime!;
  }
  return ticks / TICKS_PER_SECOND;
}

async function score({ databaseUrl, asOf, scoring }: ScoringWorkerInput): Promise<ScoringWorkerFigures> {
  const rssAtStartMiB = mib(process.memoryUsage.rss());
  const log = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn', 'bench-scoring-worker');
  const db = createDb(databaseUrl);
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
  const timer = setInterval(sample, 25);
  try {
    const activities = createScoringActivities({ db, log, scoring });
    let heartbeats = 0;
    let lastBeat = 0;
    let longestGap = 0;
    const beat = () => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - lastBeat);
      lastBeat = now;
    };
    /** Each step in an activity context of its own, as the worker runs it. */
    const inActivity = <P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> => {
      const env = new MockActivityEnvironment();
      env.on('heartbeat', () => {
        heartbeats++;
        beat();
      });
      return env.run(fn, ...args);
    };
    const pgPid = await serverPid(db);
    const phases = {} as ScoringWorkerFigures['phases'];
    const phase = async <T>(name: keyof ScoringWorkerFigures['phases'], work: () => Promise<T>): Promise<T> => {
      log.info(`scoring: ${name}`);
      peak = 0;
      longestGap = 0;
      const cpu = process.cpuUsage();
      const dbCpu = pgPid ? serverCpuSeconds(pgPid) : null;
      const started = (lastBeat = performance.now());
      const result = await work();
      beat();
      const used = process.cpuUsage(cpu);
      phases[name] = {
        seconds: Math.round(performance.now() - started) / 1000,
        longestWithoutHeartbeatSeconds: Math.round(longestGap) / 1000,
        peakRssMiB: mib(sample()),
        workerCpuSeconds: Math.round((used.user + used.system) / 1000) / 1000,
        databaseCpuSeconds: pgPid && dbCpu !== null ? Math.round((serverCpuSeconds(pgPid) - dbCpu) * 100) / 100 : null,
      };
      return result;
    };

    const started = performance.now();
    const runId = await phase('start', () =>
      inActivity(activities.startScoringRun, { trigger: 'manual', workflowId: 'bench-scoring', asOf }),
    );
    const features = await phase('features', () => inActivity(activities.computeCustomerFeatures, runId, asOf));
    const fitted = await phase('fits', () => inActivity(activities.fitScoringModels, runId));
    const scored = await phase('writeBack', () => inActivity(activities.writeCustomerScores, runId, fitted.model));
    await phase('finish', () => inActivity(activities.finishScoringRun, runId, { scored }));
    return {
      runId,
      customers: { features, scored },
      totalSeconds: Math.round(performance.now() - started) / 1000,
      phases,
      heartbeats,
      rssAtStartMiB,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    clearInterval(timer);
    await db.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  // The input comes over the IPC channel, not argv, where `ps` would show the database password.
  const input = await new Promise<ScoringWorkerInput>((resolve) =>
    process.once('message', (m) => resolve(m as ScoringWorkerInput)),
  );
  const figures = await score(input);
  process.send(figures, () => process.disconnect());
}
