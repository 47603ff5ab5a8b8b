import { z } from 'zod';
import { offerKinds } from '../segments/playbooks.ts';

/**
 * Triggered journeys: messages that answer one customer's events, where campaigns are planned
 * batches to many. The steps of each journey are fixed here; when each step goes out and what it
 * says can be changed per store (the `journey_settings` table holds the store's overrides), and
 * each journey can be switched off.
 */

export const journeyKinds = ['welcome', 'post_purchase', 'win_back', 'abandoned_cart'] as const;
export type JourneyKind = (typeof journeyKinds)[number];

/** Where a journey came from: an event reported through the API, or the nightly scoring run. */
export type JourneyTrigger = 'event' | 'scoring';

const offer = z.strictObject({
  key: z.string().trim().min(1).max(60),
  label: z.string().trim().min(1).max(120),
  kind: z.enum(offerKinds),
  discountPct: z.number().min(0).max(50).optional(),
});

const copy = z.strictObject({
  subject: z.string().max(150),
  body: z.string().max(5_000),
  sms: z.string().max(480),
});

export const journeyStepSchema = z.strictObject({
  /** Hours after the journey started (the triggering event, or the scoring run). */
  afterHours: z
    .number()
    .min(0)
    .max(24 * 90),
  channel: z.enum(['email', 'sms']),
  offer,
  /** The marketer's words; without them, the offer's default template (as campaigns do). */
  copy: copy.optional(),
});
export type JourneyStep = z.infer<typeof journeyStepSchema>;

export const journeySettingsSchema = z.strictObject({
  enabled: z.boolean(),
  steps: z
    .array(journeyStepSchema)
    .min(1)
    .max(10)
    .refine((steps) => steps.every((s, i) => i === 0 || s.afterHours >= steps[i - 1]!.afterHours), {
      message: 'steps go out in order: each afterHours at least the one before',
    }),
});
export type JourneySettings = z.infer<typeof journeySettingsSchema>;

export interface JourneyDefinition {
  kind: JourneyKind;
  description: string;
  /** A purchase ends it: the customer did what the journey was asking for. */
  exitsOnPurchase: boolean;
  defaults: JourneySettings;
}

const percentOff = (key: string, label: string, discountPct: number) => ({
  key,
  label,
  kind: 'percent_off' as const,
  discountPct,
});

export const journeys: Readonly<Record<JourneyKind, JourneyDefinition>> = {
  welcome: {
    kind: 'welcome',
    description: 'A new customer: a welcome on day 0, then day 3 and day 7.',
    exitsOnPurchase: false,
    defaults: {
      enabled: true,
      steps: [
        { afterHours: 0, channel: 'email', offer: { key: 'welcome', label: 'Welcome to the store', kind: 'none' } },
        {
          afterHours: 72,
          channel: 'email',
          offer: { key: 'welcome-tasting', label: 'A tasting on us', kind: 'tasting_invite' },
        },
        { afterHours: 168, channel: 'email', offer: percentOff('welcome-10', '10% off your first visit', 10) },
      ],
    },
  },
  post_purchase: {
    kind: 'post_purchase',
    description: "After a purchase: a thank-you with a cross-sell from the customer's primary category.",
    exitsOnPurchase: false,
    defaults: {
      enabled: true,
      steps: [
        {
          afterHours: 72,
          channel: 'email',
          // The offer template names the customer's primary category: that is the cross-sell.
          offer: percentOff('cross-sell-10', '10% off more of your favourite category', 10),
        },
      ],
    },
  },
  win_back: {
    kind: 'win_back',
    description: 'A customer who moved into high churn risk on the nightly scoring run.',
    exitsOnPurchase: true,
    defaults: {
      enabled: true,
      steps: [
        { afterHours: 0, channel: 'email', offer: percentOff('win-back-15', '15% off to welcome you back', 15) },
        { afterHours: 168, channel: 'sms', offer: percentOff('win-back-15', '15% off to welcome you back', 15) },
      ],
    },
  },
  abandoned_cart: {
    kind: 'abandoned_cart',
    description: 'A cart left behind: one reminder after a few hours, unless the purchase comes first.',
    exitsOnPurchase: true,
    defaults: {
      enabled: true,
      steps: [
        {
          afterHours: 4,
          channel: 'email',
          offer: { key: 'cart-reminder', label: 'Your cart is waiting', kind: 'none' },
        },
      ],
    },
  },
};

/** The store's settings of a journey: its overrides over the defaults, or the defaults. */
export function journeySettings(kind: JourneyKind, stored?: { enabled: boolean; settings: unknown } | null) {
  const defaults = journeys[kind].defaults;
  if (!stored) return defaults;
  const steps = z.object({ steps: journeySettingsSchema.shape.steps }).safeParse(stored.settings);
  // Settings are validated when saved; a row that no longer parses (a later, stricter rule)
  // falls back to the defaults rather than stopping the journey.
  return { enabled: stored.enabled, steps: steps.success ? steps.data.steps : defaults.steps };
}

/** The events the API knows, and what each does to the customer's journeys. */
export interface EventEffect {
  /** Journeys the event starts, or signals when one is already running for the customer. */
  starts: JourneyKind[];
  /** Running journeys the event is told to, to end them (a purchase ends a cart reminder). */
  signals: JourneyKind[];
}

// A Map: an event type is the caller's text, never a key into an object's prototype.
const eventEffects = new Map<string, EventEffect>([
  ['signup', { starts: ['welcome'], signals: [] }],
  ['purchase', { starts: ['post_purchase'], signals: ['abandoned_cart', 'win_back'] }],
  ['cart_abandoned', { starts: ['abandoned_cart'], signals: [] }],
]);

export const knownEventTypes = [...eventEffects.keys()];

/** What an event of `type` does; nothing for types no journey listens to. */
export function eventEffect(type: string): EventEffect {
  return eventEffects.get(type) ?? { starts: [], signals: [] };
}

/** One workflow per journey and customer: a burst of events finds the one that runs. */
export function journeyWorkflowId(kind: JourneyKind, customerId: string): string {
  return `journey-${kind}-${customerId}`;
}

/**
 * Why a journey ends before its last step. `purchased`: a purchase event or an order since it
 * started; `opted_out` / `suppressed`: seen before a send.
 */
export type JourneyExit = 'purchased' | 'opted_out' | 'suppressed' | 'switched_off';
