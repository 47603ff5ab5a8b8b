/**
 * Wall-clock time in the store's time zone for the generators. Orders are generated as local
 * dates and times of day (a night buyer shops at 22:00 in Des Moines whatever the UTC offset),
 * then turned into instants. Intl is far too slow to call for ten million orders, so the UTC
 * offset is looked up once per UTC hour — time-zone transitions fall on whole hours.
 */

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export class LocalTime {
  readonly timeZone: string;
  readonly #format: Intl.DateTimeFormat;
  // Offsets per UTC hour in blocks of 8,192 hours (~11 months), NaN until looked up.
  readonly #blocks = new Map<number, Float64Array>();
  #block: Float64Array = new Float64Array(0);
  #blockNumber = NaN;
  readonly #dates = new Map<number, string>();

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    // Throws a RangeError for an unknown zone, which is the error callers should see.
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Local wall-clock time minus UTC, in ms, at an instant. */
  offsetAt(instant: number): number {
    const hour = Math.floor(instant / HOUR);
    const blockNumber = Math.floor(hour / 8192);
    if (blockNumber !== this.#blockNumber) {
      let block = this.#blocks.get(blockNumber);
      if (!block) this.#blocks.set(blockNumber, (block = new Float64Array(8192).fill(NaN)));
      this.#block = block;
      this.#blockNumber = blockNumber;
    }
    const index = hour - blockNumber * 8192;
    const cached = this.#block[index]!;
    if (!Number.isNaN(cached)) return cached;
    const at = hour * HOUR;
    const part: Record<string, number> = {};
    for (const p of this.#format.formatToParts(at)) if (p.type !== 'literal') part[p.type] = Number(p.value);
    const offset = Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!) - at;
    this.#block[index] = offset;
    return offset;
  }

  /**
   * "Wall" ms count local time as if it were UTC. A time in the hour skipped when clocks go
   * forward lands an hour earlier; one in the repeated hour is the first of the two.
   */
  toInstant(wall: number): number {
    const guess = wall - this.offsetAt(wall);
    return wall - this.offsetAt(guess);
  }

  toWall(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /** Local midnight at the start of the local day containing the instant, as wall ms. */
  startOfLocalDay(instant: number): number {
    const wall = this.toWall(instant);
    return wall - (((wall % DAY) + DAY) % DAY);
  }

  /** ISO 8601 with the local offset, e.g. 2025-03-14T21:37:12-05:00: readable in store time. */
  format(instant: number): string {
    const offset = this.offsetAt(instant);
    const wall = instant + offset;
    const day = Math.floor(wall / DAY);
    const seconds = Math.floor((wall - day * DAY) / 1000);
    const minutes = Math.round(Math.abs(offset) / 60_000);
    return (
      `${this.#dateOfDay(day)}T${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}` +
      `${offset < 0 ? '-' : '+'}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`
    );
  }

  /** The local calendar date, YYYY-MM-DD. */
  date(instant: number): string {
    return this.#dateOfDay(Math.floor(this.toWall(instant) / DAY));
  }

  #dateOfDay(day: number): string {
    let date = this.#dates.get(day);
    if (date === undefined) {
      date = new Date(day * DAY).toISOString().slice(0, 10);
      this.#dates.set(day, date);
    }
    return date;
  }
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));
