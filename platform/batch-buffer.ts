/**
 * A bounded in-process buffer that writes items in batches and tells each caller when the batch
 * holding its item is written, so a webhook is only acknowledged once its receipt is durable.
 *
 * Group commit: a batch starts as soon as a writer is free, and the items that arrive while the
 * writers are busy form the next one (up to `maxBatch`). Under load batches grow by themselves;
 * alone, an item is written at once. `lingerMs` makes a lone item wait that long for company
 * instead, and a full batch never waits. At most `capacity` items wait: beyond that `add`
 * refuses at once (the caller answers 503 and the provider retries) rather than holding memory
 * and connections without bound.
 */

export class BufferFullError extends Error {
  override name = 'BufferFullError';
}

export class BufferClosedError extends Error {
  override name = 'BufferClosedError';
}

export interface BatchBufferOptions<T, R> {
  /** Writes one batch; answers one result per item, in order. A throw fails the whole batch. */
  write(items: T[]): Promise<R[]>;
  maxBatch?: number;
  /** Writes in progress at once. */
  maxInFlight?: number;
  /** Waiting items beyond which `add` refuses. */
  capacity?: number;
  /** How long a batch smaller than `maxBatch` waits for more items while a writer is free. */
  lingerMs?: number;
  /**
   * Items that must be waiting before a write starts beside one already in progress. Below it,
   * they wait for that write to end and go in one larger batch: a statement's fixed cost is then
   * paid once for them, while a backlog this deep still gets a writer of its own.
   */
  parallelAt?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class BatchBuffer<T, R> {
  readonly #write: (items: T[]) => Promise<R[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #capacity: number;
  readonly #lingerMs: number;
  readonly #parallelAt: number;
  #waiting: Waiting<T, R>[] = [];
  #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: BatchBufferOptions<T, R>) {
    this.#write = options.write;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#capacity = options.capacity ?? 10_000;
    this.#lingerMs = options.lingerMs ?? 0;
    this.#parallelAt = Math.min(options.parallelAt ?? 1, this.#maxBatch);
    if (
      this.#maxBatch < 1 ||
      this.#maxInFlight < 1 ||
      this.#capacity < 1 ||
      this.#parallelAt < 1 ||
      this.#lingerMs < 0
    ) {
      throw new RangeError('maxBatch, maxInFlight, capacity and parallelAt must be positive, lingerMs not negative');
    }
  }

  /** Items waiting for a writer. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the item's result once its batch is written; rejects if that batch fails. */
  add(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new BufferClosedError('the buffer is closed'));
    if (this.#waiting.length >= this.#capacity) {
      return Promise.reject(new BufferFullError(`${this.#capacity} items are already waiting to be written`));
    }
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Writes everything waiting now and resolves when all writes, including earlier ones, are done. */
  async flush(): Promise<void> {
    this.#clearTimer();
    while (this.#waiting.length > 0 || this.#inFlight.size > 0) {
      while (this.#waiting.length > 0 && this.#inFlight.size < this.#maxInFlight) this.#startBatch();
      await Promise.race(this.#inFlight);
    }
  }

  /** Refuses new items, then writes what is waiting. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#waiting.length === 0 || this.#inFlight.size >= this.#maxInFlight) return;
    if (this.#inFlight.size > 0 && this.#waiting.length < this.#parallelAt) return;
    if (this.#waiting.length >= this.#maxBatch) {
      this.#clearTimer();
      this.#startBatch();
      return;
    }
    if (this.#timer !== undefined) return;
    // Even without linger, wait for the rest of this turn of the event loop: requests read in
    // the same turn share a batch.
    const fire = () => {
      this.#timer = undefined;
      const busy = this.#inFlight.size;
      if (busy < this.#maxInFlight && this.#waiting.length >= (busy > 0 ? this.#parallelAt : 1)) this.#startBatch();
    };
    this.#timer = this.#lingerMs > 0 ? setTimeout(fire, this.#lingerMs) : setImmediate(fire);
  }

  #startBatch(): void {
    const batch = this.#waiting.splice(0, this.#maxBatch);
    const done = this.#run(batch).finally(() => {
      this.#inFlight.delete(done);
      this.#schedule();
    });
    this.#inFlight.add(done);
  }

  async #run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.#write(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`the writer answered ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
