/**
 * systemd readiness and watchdog (sd_notify). Node cannot send on a unix datagram socket, so the
 * notifications go through Debian's `systemd-notify` (the unit sets NotifyAccess=all so messages
 * from that helper process count). Inactive unless systemd started us with NOTIFY_SOCKET.
 * The watchdog ping runs on the main event loop: a loop that hangs stops pinging and systemd
 * restarts the process after WatchdogSec.
 */
import { execFile } from 'node:child_process';

export type Notify = (state: string) => Promise<void>;

export const systemdNotify: Notify = (state) =>
  new Promise((resolve) => {
    // A failed notification is logged by systemd's side (timeout); never crash the device for it.
    execFile('systemd-notify', [state], { timeout: 5000 }, () => resolve());
  });

export interface WatchdogOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly notify?: Notify;
  readonly setInterval?: (fn: () => void, ms: number) => unknown;
  readonly clearInterval?: (handle: unknown) => void;
}

export class SystemdWatchdog {
  private timer: unknown = null;

  constructor(private readonly o: WatchdogOptions) {}

  /** True when systemd asked for notifications. */
  get active(): boolean {
    return typeof this.o.env.NOTIFY_SOCKET === 'string' && this.o.env.NOTIFY_SOCKET.length > 0;
  }

  /** Ping interval: half of WatchdogSec (WATCHDOG_USEC), or null when no watchdog is set. */
  get intervalMs(): number | null {
    const us = Number(this.o.env.WATCHDOG_USEC);
    return Number.isFinite(us) && us > 0 ? Math.max(500, Math.floor(us / 2000)) : null;
  }

  async start(): Promise<void> {
    if (!this.active) return;
    const notify = this.o.notify ?? systemdNotify;
    await notify('--ready');
    const every = this.intervalMs;
    if (every === null) return;
    const set = this.o.setInterval ?? ((fn, ms) => setInterval(fn, ms));
    this.timer = set(() => void notify('WATCHDOG=1'), every);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) (this.o.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(this.timer);
    this.timer = null;
    if (this.active) await (this.o.notify ?? systemdNotify)('--stopping');
  }
}
