/**
 * Reopening hardware that went away (unplug, open failure): one pending attempt at a time, waits
 * growing by exponential backoff with jitter, reset once the device is open again. Shared by the
 * serial and HID drivers; what "open" means stays with each driver.
 */
import { backoffMs } from '../sync/backoff.js';
import type { Clock } from '../time/clock.js';

export interface ReopenOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly minMs: number;
  readonly maxMs: number;
}

export class Reopener {
  private timer: unknown = null;
  private attempt = 0;

  constructor(private readonly o: ReopenOptions) {}

  /** Schedules `open` after the next backoff wait (replacing any pending attempt). */
  schedule(open: () => void): void {
    this.cancel();
    const wait = backoffMs(this.attempt++, this.o.minMs, this.o.maxMs, this.o.random);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      open();
    }, wait);
  }

  /** The device is open: the next failure starts from the shortest wait again. */
  opened(): void {
    this.attempt = 0;
  }

  cancel(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
