import type { Response } from 'express';

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

const serialised = new WeakMap<object, { body: Buffer; etag: string | undefined }>();

/**
 * Answers with an object that several requests share (a single-flight read's result): it is
 * turned into JSON, and its ETag worked out, once for all of them rather than once per request.
 * The object must not be changed once sent.
 */
export function sendSharedJson(res: Response, value: object): void {
  let sent = serialised.get(value);
  if (!sent) {
    const body = Buffer.from(JSON.stringify(value));
    const etagOf = res.app.get('etag fn') as ((body: Buffer) => string) | undefined;
    sent = { body, etag: etagOf?.(body) };
    serialised.set(value, sent);
  }
  res.type('application/json; charset=utf-8');
  if (sent.etag) res.set('ETag', sent.etag);
  res.send(sent.body);
}
