/**
 * Revenue attribution: last touch within a window.
 *
 * A touch is an engagement with a message: an e-mail opened or clicked, an SMS delivered or
 * clicked. Each (channel, touch type) has its own window; a touch counts for an order placed at
 * or after it and no later than the window's end (both ends inclusive). Of the touches that
 * count, the latest wins — whichever campaign it belongs to — and ties on the instant go to the
 * stronger touch (a click over an open or a delivery), then to the smaller send id, so the
 * result never depends on the order touches were read in. An order with no touch that counts
 * is not attributed.
 */

export type TouchChannel = 'email' | 'sms';

/** Window lengths in milliseconds per channel and touch type; a missing entry is not a touch. */
export type AttributionWindows = Readonly<Partial<Record<TouchChannel, Readonly<Partial<Record<string, number>>>>>>;

const HOUR = 3_600_000;

/** The defaults: 5 days after an e-mail click or open, 1 day after an SMS click, 12 hours after an SMS delivery. */
export const DEFAULT_ATTRIBUTION_WINDOWS: AttributionWindows = {
  email: { clicked: 120 * HOUR, opened: 120 * HOUR },
  sms: { clicked: 24 * HOUR, delivered: 12 * HOUR },
};

export interface Touch {
  sendId: string;
  campaignId: string | null;
  channel: TouchChannel;
  type: string;
  at: Date;
}

export interface Attribution {
  touch: Touch;
  /** Milliseconds from the touch to the order. */
  lagMs: number;
}

const STRENGTH: Readonly<Record<string, number>> = { clicked: 3, opened: 2, delivered: 1 };

/** The longest window: how far back touches need to be read for an order. */
export function longestWindowMs(windows: AttributionWindows): number {
  let longest = 0;
  for (const byType of Object.values(windows)) {
    for (const ms of Object.values(byType ?? {})) longest = Math.max(longest, ms ?? 0);
  }
  return longest;
}

export function windowOf(windows: AttributionWindows, channel: TouchChannel, type: string): number | undefined {
  return windows[channel]?.[type];
}

/** The touch an order placed at `orderedAt` is attributed to, or null. */
export function attributeOrder(
  orderedAt: Date,
  touches: readonly Touch[],
  windows: AttributionWindows = DEFAULT_ATTRIBUTION_WINDOWS,
): Attribution | null {
  let best: Touch | null = null;
  for (const touch of touches) {
    const window = windowOf(windows, touch.channel, touch.type);
    if (window === undefined) continue;
    const lag = orderedAt.getTime() - touch.at.getTime();
    if (lag < 0 || lag > window) continue;
    if (best === null || later(touch, best)) best = touch;
  }
  return best ? { touch: best, lagMs: orderedAt.getTime() - best.at.getTime() } : null;
}

function later(a: Touch, b: Touch): boolean {
  if (a.at.getTime() !== b.at.getTime()) return a.at.getTime() > b.at.getTime();
  const strength = (STRENGTH[a.type] ?? 0) - (STRENGTH[b.type] ?? 0);
  if (strength !== 0) return strength > 0;
  return a.sendId < b.sendId;
}
