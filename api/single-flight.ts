/**
 * Identical reads that arrive while one is already running share its answer instead of each
 * sending the same statements: screens poll the same campaign's progress and the same customer
 * page, and under load those requests pile up on the database pool. Nothing is kept once the
 * read settles, so an answer is never older than the read in flight when the request arrived.
 */
export function singleFlight<A, R>(read: (arg: A) => Promise<R>, keyOf: (arg: A) => string): (arg: A) => Promise<R> {
  const inFlight = new Map<string, Promise<R>>();
  return (arg) => {
    const key = keyOf(arg);
    let shared = inFlight.get(key);
    if (!shared) {
      shared = read(arg).finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
    }
    return shared;
  };
}
