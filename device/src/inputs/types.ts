/**
 * The one interface every input driver implements (gpio, serial, hid, kiosk taps).
 *
 * Obligations of a driver:
 * - `start()` resolves once the driver is running; missing hardware is not an exception: the driver
 *   reports state `failed` (HCP_INPUT_UNAVAILABLE in `detail`) or `reconnecting` and keeps trying
 *   where reconnecting makes sense (unplug/replug).
 * - It reports raw presses only. Debounce of bounces is the driver's business; the response interval,
 *   "one rating per session" and what a press means in the current screen live above it.
 * - Bad bytes or reports are dropped and counted in `status().dropped`; they never throw.
 * - `stop()` releases the hardware and every timer; no event is emitted after it resolves.
 * - `show(view)` is optional: drivers with their own display (the serial panel) mirror the screen.
 */
import type { InputDriverKind, InputState, Level } from '@hcp/protocol';
import type { ScreenView } from '../screen/view.js';

export type InputEvent =
  | { readonly kind: 'star'; readonly level: Level }
  | { readonly kind: 'reason'; readonly codes: readonly string[] }
  /** The n-th (1-based) reason on screen: for keypads and buttons without a reason code. */
  | { readonly kind: 'reason-index'; readonly index: number }
  | { readonly kind: 'staff' };

export interface InputStatus {
  readonly driver: InputDriverKind;
  readonly state: InputState;
  readonly detail?: string;
  readonly dropped: number;
}

export interface InputDriver {
  readonly kind: InputDriverKind;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): InputStatus;
  onInput(fn: (e: InputEvent) => void): void;
  onStatus(fn: (s: InputStatus) => void): void;
  show?(view: ScreenView): void;
}

/** Shared listener plumbing for drivers. */
export class InputEvents {
  private inputs: ((e: InputEvent) => void)[] = [];
  private statuses: ((s: InputStatus) => void)[] = [];

  onInput(fn: (e: InputEvent) => void): void {
    this.inputs.push(fn);
  }

  onStatus(fn: (s: InputStatus) => void): void {
    this.statuses.push(fn);
  }

  emitInput(e: InputEvent): void {
    for (const f of this.inputs) f(e);
  }

  emitStatus(s: InputStatus): void {
    for (const f of this.statuses) f(s);
  }
}

export class NoInput implements InputDriver {
  readonly kind = 'none' as const;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): InputStatus {
    return { driver: 'none', state: 'ready', dropped: 0 };
  }
  onInput(): void {}
  onStatus(): void {}
}
