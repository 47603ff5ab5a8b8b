import { createHash } from 'node:crypto';

/**
 * Holdout groups: a campaign keeps a share of its audience uncontacted, to measure what the
 * campaign caused. The draw is stratified by segment — each segment gives round(share × its
 * size) customers — so the holdout has the treated group's segment mix, and it is reproducible:
 * customers are ordered by SHA-256(seed, customer id) and the first of each segment are held
 * out. The seed is the campaign id, so planning the same campaign again holds out the same
 * customers, and two campaigns hold out independent draws.
 */

export interface HoldoutCandidate {
  customerId: string;
  segment: string;
}

export interface HoldoutSplit<C extends HoldoutCandidate> {
  treated: C[];
  holdout: C[];
}

export const DEFAULT_HOLDOUT_SHARE = 0.1;

const rank = (seed: string, customerId: string) =>
  createHash('sha256').update(seed).update('\0').update(customerId).digest('hex');

export function splitHoldout<C extends HoldoutCandidate>(
  audience: readonly C[],
  share: number,
  seed: string,
): HoldoutSplit<C> {
  if (!(share >= 0 && share < 1)) throw new RangeError(`a holdout share is in [0, 1), not ${share}`);
  const bySegment = new Map<string, C[]>();
  for (const c of audience) {
    const list = bySegment.get(c.segment) ?? [];
    list.push(c);
    bySegment.set(c.segment, list);
  }
  const held = new Set<string>();
  for (const members of bySegment.values()) {
    const n = Math.round(share * members.length);
    const order = members.map((c) => ({ id: c.customerId, key: rank(seed, c.customerId) }));
    order.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { id } of order.slice(0, n)) held.add(id);
  }
  // Both groups keep the audience's own order (its priority ranking).
  return {
    treated: audience.filter((c) => !held.has(c.customerId)),
    holdout: audience.filter((c) => held.has(c.customerId)),
  };
}
