/**
 * Hub events (alerts, device state changes, session outcomes) for the dashboard stream (SSE) and
 * the webhook. `emit` is called after the commit that caused the event; each listener's errors are
 * caught so one bad consumer cannot break another.
 */
import type { Logger } from 'pino';

export interface HubEvent {
  readonly id: number;
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
}

export type EventListener = (e: HubEvent) => void;

export class EventBus {
  private nextId = 1;
  private readonly listeners = new Set<EventListener>();
  /** A short replay buffer so a reconnecting SSE client (Last-Event-ID) misses nothing recent. */
  private readonly recent: HubEvent[] = [];

  constructor(private readonly log: Logger, private readonly keep = 500) {}

  emit(type: string, at: string, data: unknown): HubEvent {
    const e: HubEvent = { id: this.nextId++, type, at, data };
    this.recent.push(e);
    if (this.recent.length > this.keep) this.recent.shift();
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err, type }, 'event listener failed');
      }
    }
    return e;
  }

  since(lastId: number): HubEvent[] {
    return this.recent.filter((e) => e.id > lastId);
  }

  on(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
