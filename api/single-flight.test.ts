import { describe, expect, it } from 'vitest';
import { singleFlight } from './single-flight.ts';

describe('singleFlight', () => {
  it('gives callers who arrive during a read that read’s answer, and reads afresh once it settles', async () => {
    let reads = 0;
    let release!: () => void;
    const read = singleFlight(
      async (id: string) => {
        reads++;
        await new Promise<void>((resolve) => (release = resolve));
        return `${id}#${reads}`;
      },
      (id) => id,
    );
    const first = read('a');
    const second = read('a');
    release();
    expect(await Promise.all([first, second])).toEqual(['a#1', 'a#1']);
    const third = read('a');
    release();
    expect(await third).toBe('a#2');
    expect(reads).toBe(2);
  });

  it('keeps different keys apart', async () => {
    const read = singleFlight(
      async (id: string) => id.toUpperCase(),
      (id) => id,
    );
    expect(await Promise.all([read('a'), read('b')])).toEqual(['A', 'B']);
  });

  it('passes a failure to every waiting caller and does not keep it', async () => {
    let fail = true;
    const read = singleFlight(
      async () => {
        if (fail) throw new Error('database gone');
        return 'ok';
      },
      () => 'k',
    );
    const results = await Promise.allSettled([read(undefined), read(undefined)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await read(undefined)).toBe('ok');
  });
});
