import { createHash } from 'node:crypto';

/**
 * What would have happened to a message after a real provider took it: delivered a few
 * seconds later, or bounced; for e-mail, perhaps opened, clicked or reported as spam. Every
 * draw comes from a hash of the seed and the message id, so the same messages and seed
 * always give the same events, and a message's events never depend on the others.
 */

export type SandboxEventType = 'delivered' | 'bounced' | 'failed' | 'opened' | 'clicked' | 'complained';

export interface SandboxEvent {
  provider: 'sandbox';
  /** Unique per message and type: ingesting an event twice is a duplicate webhook. */
  eventKey: string;
  type: SandboxEventType;
  providerMessageId: string;
  sendId: string | null;
  channel: 'email' | 'sms';
  occurredAt: Date;
}

export interface SandboxSimulation {
  seed: number;
  /** Share of e-mails that hard-bounce, and of SMS that fail to deliver. */
  bounceRate: number;
  /** Share of delivered e-mails opened. */
  openRate: number;
  /** Share of opened e-mails clicked. */
  clickRate: number;
  /** Share of delivered e-mails reported as spam. */
  complaintRate: number;
  /** Delay from send to delivery or bounce, in milliseconds: [shortest, longest]. */
  deliveryDelayMs: [number, number];
  /** Delay from delivery to opening: people read their mail within hours. */
  openDelayMs: [number, number];
  /** Delay from opening to clicking. */
  clickDelayMs: [number, number];
}

export const defaultSimulation: SandboxSimulation = {
  seed: 1,
  bounceRate: 0.02,
  openRate: 0.35,
  clickRate: 0.2,
  complaintRate: 0.001,
  deliveryDelayMs: [2_000, 30_000],
  openDelayMs: [60_000, 6 * 3_600_000],
  clickDelayMs: [5_000, 10 * 60_000],
};

/** The longest a message's last event can come after it was sent. */
export function longestEventDelayMs(s: SandboxSimulation): number {
  return s.deliveryDelayMs[1] + Math.max(s.openDelayMs[1] + s.clickDelayMs[1], s.openDelayMs[1]);
}

/** Uniform draws in [0, 1) for one message: 32 bits each from SHA-256(seed, id, round). */
function draws(seed: number, providerMessageId: string): () => number {
  let round = 0;
  let digest = Buffer.alloc(0);
  let offset = 32;
  return () => {
    if (offset >= 32) {
      digest = createHash('sha256').update(`${seed}:${providerMessageId}:${round++}`).digest();
      offset = 0;
    }
    const value = digest.readUInt32BE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}

const between = ([low, high]: [number, number], u: number) => Math.round(low + (high - low) * u);

export function simulateEvents(
  message: { providerMessageId: string; sendId: string | null; channel: 'email' | 'sms'; sentAt: Date },
  simulation: SandboxSimulation,
): SandboxEvent[] {
  const next = draws(simulation.seed, message.providerMessageId);
  const event = (type: SandboxEventType, at: number): SandboxEvent => ({
    provider: 'sandbox',
    eventKey: `${message.providerMessageId}:${type}`,
    type,
    providerMessageId: message.providerMessageId,
    sendId: message.sendId,
    channel: message.channel,
    occurredAt: new Date(at),
  });
  // Draw every number whether or not it is used, so one rate never shifts another's outcomes.
  const [bounce, delay, open, openDelay, click, clickDelay, complaint] = Array.from({ length: 7 }, next) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const arrived = message.sentAt.getTime() + between(simulation.deliveryDelayMs, delay);
  if (bounce < simulation.bounceRate) return [event(message.channel === 'email' ? 'bounced' : 'failed', arrived)];
  const events = [event('delivered', arrived)];
  if (message.channel === 'sms') return events;
  if (complaint < simulation.complaintRate)
    events.push(event('complained', arrived + between(simulation.openDelayMs, openDelay)));
  if (open < simulation.openRate) {
    const opened = arrived + between(simulation.openDelayMs, openDelay);
    events.push(event('opened', opened));
    if (click < simulation.clickRate)
      events.push(event('clicked', opened + between(simulation.clickDelayMs, clickDelay)));
  }
  return events;
}
