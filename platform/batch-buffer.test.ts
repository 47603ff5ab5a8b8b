import { describe, expect, it } from 'vitest';
import { BatchBuffer, BufferClosedError, BufferFullError } from './batch-buffer.ts';

/** A writer whose writes finish when the test says so. */
function controlledWriter() {
  const writes: { items: number[]; finish(): void; fail(err: Error): void }[] = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      writes.push({ items, finish: () => resolve(items.map((i) => `wrote ${i}`)), fail: reject });
    });
  return { writes, write };
}

/** Lets the buffer's promise callbacks and the setImmediate they schedule run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('BatchBuffer', () => {
  it('writes items added in the same turn as one batch and answers each caller with its own result', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write });
    const results = [1, 2, 3].map((i) => buffer.add(i));
    await settle();
    expect(writes.map((w) => w.items)).toEqual([[1, 2, 3]]);
    writes[0]!.finish();
    expect(await Promise.all(results)).toEqual(['wrote 1', 'wrote 2', 'wrote 3']);
  });

  it('does not answer before the batch holding the item is written', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write });
    let answered = false;
    const result = buffer.add(1).then(() => (answered = true));
    await settle();
    await settle();
    expect(answered).toBe(false);
    writes[0]!.finish();
    await result;
    expect(answered).toBe(true);
  });

  it('gathers what arrives while the writers are busy into the next batch (group commit)', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write, maxInFlight: 1 });
    const first = buffer.add(1);
    await settle();
    const rest = [2, 3, 4].map((i) => buffer.add(i));
    await settle();
    expect(writes).toHaveLength(1);
    expect(buffer.waiting).toBe(3);
    writes[0]!.finish();
    await first;
    await settle();
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4]]);
    writes[1]!.finish();
    expect(await Promise.all(rest)).toEqual(['wrote 2', 'wrote 3', 'wrote 4']);
  });

  it('never has more writes in flight than allowed, and never more items in a batch than maxBatch', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write, maxBatch: 2, maxInFlight: 2 });
    const all = Array.from({ length: 7 }, (_, i) => buffer.add(i));
    await settle();
    expect(writes.map((w) => w.items)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    for (let done = 0; done < 4; done++) {
      writes[done]!.finish();
      await settle();
      await settle();
    }
    expect(writes.map((w) => w.items)).toEqual([[0, 1], [2, 3], [4, 5], [6]]);
    expect(await Promise.all(all)).toHaveLength(7);
  });

  it('refuses at once when capacity items are waiting, and takes items again once they are written', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write, maxInFlight: 1, capacity: 2 });
    const first = buffer.add(1);
    await settle(); // 1 is being written; nothing waits
    const waiting = [buffer.add(2), buffer.add(3)];
    await expect(buffer.add(4)).rejects.toBeInstanceOf(BufferFullError);
    writes[0]!.finish();
    await first;
    await settle();
    writes[1]!.finish();
    expect(await Promise.all(waiting)).toEqual(['wrote 2', 'wrote 3']);
    const again = buffer.add(5);
    await settle();
    writes[2]!.finish();
    expect(await again).toBe('wrote 5');
  });

  it('fails only the callers of a failed batch', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write, maxBatch: 2 });
    const a = [buffer.add(1), buffer.add(2)];
    const b = [buffer.add(3)];
    await settle();
    writes[0]!.fail(new Error('database is down'));
    writes[1]!.finish();
    await expect(a[0]).rejects.toThrow('database is down');
    await expect(a[1]).rejects.toThrow('database is down');
    expect(await b[0]).toBe('wrote 3');
  });

  it('fails a batch whose writer answers the wrong number of results', async () => {
    const buffer = new BatchBuffer<number, string>({ write: async () => ['only one'] });
    const results = [buffer.add(1), buffer.add(2)];
    await expect(results[0]).rejects.toThrow(/1 results for 2 items/);
    await expect(results[1]).rejects.toThrow(/1 results for 2 items/);
  });

  it('flush writes what is waiting without waiting for the linger time', async () => {
    const written: number[][] = [];
    const buffer = new BatchBuffer({
      write: async (items: number[]) => (written.push(items), items),
      lingerMs: 60_000,
    });
    const results = [buffer.add(1), buffer.add(2)];
    await settle();
    expect(written).toEqual([]);
    await buffer.flush();
    expect(written).toEqual([[1, 2]]);
    expect(await Promise.all(results)).toEqual([1, 2]);
  });

  it('close writes what is waiting and then refuses new items', async () => {
    const written: number[][] = [];
    const buffer = new BatchBuffer({
      write: async (items: number[]) => (written.push(items), items),
      lingerMs: 60_000,
    });
    const pending = buffer.add(1);
    await buffer.close();
    expect(await pending).toBe(1);
    expect(written).toEqual([[1]]);
    await expect(buffer.add(2)).rejects.toBeInstanceOf(BufferClosedError);
  });

  it('rejects nonsense options', () => {
    const write = async (items: number[]) => items;
    expect(() => new BatchBuffer({ write, maxBatch: 0 })).toThrow(RangeError);
    expect(() => new BatchBuffer({ write, capacity: 0 })).toThrow(RangeError);
    expect(() => new BatchBuffer({ write, parallelAt: 0 })).toThrow(RangeError);
  });

  it('starts a write beside one in progress only once parallelAt items wait', async () => {
    const { writes, write } = controlledWriter();
    const buffer = new BatchBuffer({ write, maxInFlight: 2, parallelAt: 3 });
    const first = buffer.add(1);
    await settle();
    const waiting = [2, 3].map((i) => buffer.add(i));
    await settle();
    // Two waiting: they wait for the write in progress rather than taking the second writer.
    expect(writes.map((w) => w.items)).toEqual([[1]]);
    const third = buffer.add(4);
    await settle();
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4]]);
    const late = buffer.add(5);
    await settle();
    expect(writes).toHaveLength(2);
    // A writer comes free while the other still writes: the lone item keeps waiting for company…
    writes[0]!.finish();
    await first;
    await settle();
    expect(writes).toHaveLength(2);
    // …and goes as soon as no write is in progress.
    writes[1]!.finish();
    await settle();
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4], [5]]);
    writes[2]!.finish();
    expect(await Promise.all([...waiting, third, late])).toEqual(['wrote 2', 'wrote 3', 'wrote 4', 'wrote 5']);
  });
});
