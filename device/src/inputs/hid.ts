/**
 * A USB keypad through node-hid, behind an injected open function. Reports are keyboard-style
 * (modifier, reserved, up to six usage ids); a key counts on its down edge. A reason key
 * (reason1..5) picks the n-th reason on screen and submits it. The usage-id → action
 * map comes from config. Unplug shows as an `error` on the device: the driver closes it and
 * reopens with backoff until the keypad is back.
 */
import type { Logger } from 'pino';
import type { InputState, Level } from '@hcp/protocol';
import type { Clock } from '../time/clock.js';
import { Reopener } from './reopen.js';
import type { HidAction } from '../config/schema.js';
import { InputEvents, type InputDriver, type InputStatus } from './types.js';

/** The part of node-hid's HID object this driver uses; the simulator's fake implements the same. */
export interface HidDeviceLike {
  on(event: 'data', fn: (data: Buffer) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(): void;
}

/** Opens the keypad; throws when it is not present. */
export type HidOpen = () => HidDeviceLike;

/** node-hid loaded lazily: its native binding needs libusb/hidraw, absent on some boards. */
export async function nodeHidOpen(vendorId: number, productId: number, path?: string): Promise<HidOpen> {
  const mod = (await import('node-hid')) as unknown as { default?: NodeHidModule } & NodeHidModule;
  const HID = mod.default ?? mod;
  return () => (path ? new HID.HID(path) : new HID.HID(vendorId, productId));
}
interface NodeHidModule {
  HID: new (...args: (string | number)[]) => HidDeviceLike;
}

export interface HidInputOptions {
  /** Resolves the opener once (e.g. loads node-hid); a rejection means the driver is unavailable. */
  readonly opener: () => Promise<HidOpen>;
  readonly keys: Readonly<Record<string, HidAction>>;
  readonly reopenMinMs: number;
  readonly reopenMaxMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
}

export class HidInput extends InputEvents implements InputDriver {
  readonly kind = 'hid' as const;
  private st: InputState = 'stopped';
  private detail: string | undefined;
  private dev: HidDeviceLike | null = null;
  private opener: HidOpen | null = null;
  private down = new Set<number>();
  private reopen: Reopener | null = null;
  private dropped = 0;
  opens = 0;

  constructor(private readonly o: HidInputOptions) {
    super();
  }

  status(): InputStatus {
    return this.detail === undefined ? { driver: 'hid', state: this.st, dropped: this.dropped } : { driver: 'hid', state: this.st, detail: this.detail, dropped: this.dropped };
  }

  private set(s: InputState, detail?: string): void {
    this.st = s;
    this.detail = detail;
    this.emitStatus(this.status());
  }

  async start(): Promise<void> {
    this.set('connecting');
    try {
      this.opener = await this.o.opener();
    } catch (err) {
      return this.set('failed', `HCP_INPUT_UNAVAILABLE: ${(err as Error).message}`.slice(0, 200));
    }
    this.tryOpen();
  }

  async stop(): Promise<void> {
    this.set('stopped');
    this.reopen?.cancel();
    this.closeDev();
  }

  private closeDev(): void {
    const d = this.dev;
    this.dev = null;
    if (!d) return;
    d.removeAllListeners();
    try {
      d.close();
    } catch {
      // already gone with the unplug
    }
  }

  private tryOpen(): void {
    if (this.st === 'stopped' || !this.opener) return;
    let d: HidDeviceLike;
    try {
      d = this.opener();
    } catch (err) {
      return this.retry((err as Error).message);
    }
    this.dev = d;
    this.down.clear();
    this.opens++;
    this.reopener().opened();
    d.on('data', (data: Buffer) => this.onReport(data));
    d.on('error', (err: Error) => {
      if (this.dev !== d) return;
      this.closeDev();
      this.retry(err.message);
    });
    this.set('ready');
  }

  private retry(why: string): void {
    if (this.st === 'stopped') return;
    this.set('reconnecting', `HCP_INPUT_UNAVAILABLE: ${why}`.slice(0, 200));
    this.reopener().schedule(() => this.tryOpen());
  }

  // Built on first use: the constructor only assigns.
  private reopener(): Reopener {
    this.reopen ??= new Reopener({ clock: this.o.clock, random: this.o.random, minMs: this.o.reopenMinMs, maxMs: this.o.reopenMaxMs });
    return this.reopen;
  }

  private onReport(data: Buffer): void {
    if (data.length < 3 || data.length > 64) {
      this.dropped++;
      return;
    }
    const now = new Set<number>();
    for (const code of data.subarray(2, 8)) if (code > 3) now.add(code); // 0 none, 1-3 error states
    for (const code of now) {
      if (this.down.has(code)) continue;
      const action = this.o.keys[String(code)];
      if (!action) {
        this.dropped++;
        continue;
      }
      if (action.startsWith('star')) this.emitInput({ kind: 'star', level: Number(action.slice(4)) as Level });
      else if (action.startsWith('reason')) this.emitInput({ kind: 'reason-index', index: Number(action.slice(6)) });
      else this.emitInput({ kind: 'staff' });
    }
    this.down = now;
  }
}
