/**
 * What the real-time triggers cost the ledger's write path. The send loop writes one row per
 * statement (sending → sent), webhook ingestion one statement per batch; both now end in a
 * statement-level trigger that NOTIFYs once per campaign. Baseline in the same run: the same
 * statements with the triggers disabled. Rounds alternate so that drift hits both sides.
 *
 *   npm run bench -- realtime-notify [--rows 2000] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { insertCampaign, insertSends } from '../activities/webhooks/testing.ts';
import type { Db } from '../platform/db.ts';
import type { Benchmark } from './types.ts';

const TRIGGERS = ['sends_realtime_update'];

async function setTriggers(db: Db, on: boolean): Promise<void> {
  for (const name of TRIGGERS) await db.raw(`alter table sends ${on ? 'enable' : 'disable'} trigger ${name}`);
}

/** Rows per second for single-row status updates, and for one statement over all the rows. */
async function measure(
  db: Db,
  ids: string[],
  flip: number,
): Promise<{ rowStatements: number; batchStatement: number }> {
  const statuses = flip % 2 === 0 ? ['delivered', 'sent'] : ['sent', 'delivered'];
  let started = performance.now();
  for (const id of ids) await db('sends').where({ id }).update({ status: statuses[0], updated_at: db.fn.now() });
  const rowStatements = ids.length / ((performance.now() - started) / 1000);
  started = performance.now();
  await db('sends').whereIn('id', ids).update({ status: statuses[1], updated_at: db.fn.now() });
  const batchStatement = ids.length / ((performance.now() - started) / 1000);
  return { rowStatements, batchStatement };
}

const bench: Benchmark = async (ctx) => {
  const { values } = parseArgs({ args: ctx.args, options: { rows: { type: 'string' }, rounds: { type: 'string' } } });
  const rows = Number(values.rows ?? 2000);
  const rounds = Number(values.rounds ?? 3);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError('--rows must be a positive whole number');
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError('--rounds must be a positive whole number');
  const db = await ctx.db();
  const campaignId = await insertCampaign(db);
  const ids = (await insertSends(db, rows, campaignId)).map((s) => s.id);
  type Run = { rowStatements: number; batchStatement: number };
  const runs: { withNotify: Run[]; baseline: Run[] } = { withNotify: [], baseline: [] };
  let flip = 0;
  await measure(db, ids, flip++); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
      await setTriggers(db, on);
      runs[on ? 'withNotify' : 'baseline'].push(await measure(db, ids, flip++));
    }
  }
  await setTriggers(db, true);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = (k: 'rowStatements' | 'batchStatement') => {
    const withNotify = median(runs.withNotify.map((x) => x[k]));
    const baseline = median(runs.baseline.map((x) => x[k]));
    return {
      withNotifyRowsPerSec: Math.round(withNotify),
      baselineRowsPerSec: Math.round(baseline),
      ratio: Math.round((withNotify / baseline) * 100) / 100,
    };
  };
  return {
    rows,
    rounds,
    singleRowStatements: summary('rowStatements'),
    oneStatementForAllRows: summary('batchStatement'),
  };
};

export default bench;
