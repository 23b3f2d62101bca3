/**
 * Buttons (five levels plus one staff key) as johnny-five Buttons on an injected IO plugin.
 * The default plugin is Firmata over a serial port (a small microcontroller wired to the buttons);
 * tests and demos pass the simulator's virtual-pin plugin. johnny-five debounces (7 ms) itself.
 * A missing plugin package or board is reported as `failed` with HCP_INPUT_UNAVAILABLE, not thrown.
 */
import type { EventEmitter } from 'node:events';
import type J5 from 'johnny-five';
import type { Logger } from 'pino';
import type { InputState, Level } from '@hcp/protocol';
import type { Clock } from '../time/clock.js';
import { InputEvents, type InputDriver, type InputStatus } from './types.js';

/** An IO plugin per the johnny-five IO plugin spec (only what Button needs is named here). */
export interface IoPlugin extends EventEmitter {
  readonly MODES: Record<string, number>;
  readonly pins: unknown[];
  pinMode(pin: number, mode: number): unknown;
  digitalRead(pin: number, cb: (value: number) => void): unknown;
}

export type IoFactory = () => Promise<IoPlugin>;

/** Firmata over a serial port, loaded lazily: the optional `firmata` package may be absent. */
export function firmataIo(port: string): IoFactory {
  return async () => {
    const mod = (await import('firmata' as string)) as { default?: new (p: string) => IoPlugin };
    const Firmata = mod.default;
    if (!Firmata) throw new Error('firmata module has no default export');
    return new Firmata(port);
  };
}

/**
 * Any IO plugin package, loaded lazily: `pkg` (default export) or `pkg#Export`. Where a Raspberry Pi
 * plugin is installed on the board, this is how it is chosen (config `input.gpio.ioModule`).
 */
export function moduleIo(spec: string, options: Record<string, unknown>): IoFactory {
  return async () => {
    const [pkg, name] = spec.split('#') as [string, string | undefined];
    const mod = (await import(pkg)) as Record<string, unknown>;
    const Plugin = (name ? mod[name] : (mod.default ?? mod)) as (new (o: Record<string, unknown>) => IoPlugin) | undefined;
    if (typeof Plugin !== 'function') throw new Error(`${spec} does not export an IO plugin class`);
    return new Plugin(options);
  };
}

export interface GpioInputOptions {
  readonly io: IoFactory;
  readonly levelPins: Readonly<Record<'1' | '2' | '3' | '4' | '5', number>>;
  readonly staffPin: number | null;
  readonly invert: boolean;
  readonly readyTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export class GpioInput extends InputEvents implements InputDriver {
  readonly kind = 'gpio' as const;
  private st: InputState = 'stopped';
  private detail: string | undefined;
  private buttons: EventEmitter[] = [];

  constructor(private readonly o: GpioInputOptions) {
    super();
  }

  status(): InputStatus {
    return this.detail === undefined ? { driver: 'gpio', state: this.st, dropped: 0 } : { driver: 'gpio', state: this.st, detail: this.detail, dropped: 0 };
  }

  private set(s: InputState, detail?: string): void {
    this.st = s;
    this.detail = detail;
    this.emitStatus(this.status());
  }

  async start(): Promise<void> {
    this.set('connecting');
    let io: IoPlugin;
    let five: typeof J5;
    try {
      five = (await import('johnny-five')).default;
      io = await this.o.io();
    } catch (err) {
      this.o.log.error({ err }, 'gpio input unavailable');
      return this.set('failed', `HCP_INPUT_UNAVAILABLE: ${(err as Error).message}`.slice(0, 200));
    }
    io.on('error', (err: Error) => {
      if (this.st !== 'stopped') this.set('failed', `HCP_INPUT_FAILED: ${err.message}`.slice(0, 200));
    });
    const board = new five.Board({ io, repl: false, debug: false, sigint: false });
    const ready = await new Promise<boolean>((resolve) => {
      const t = this.o.clock.setTimeout(() => resolve(false), this.o.readyTimeoutMs);
      board.once('ready', () => {
        this.o.clock.clearTimeout(t);
        resolve(true);
      });
      board.once('error', () => {
        this.o.clock.clearTimeout(t);
        resolve(false);
      });
    });
    if (this.st === 'stopped') return;
    if (!ready) return this.set('failed', 'HCP_INPUT_UNAVAILABLE: IO plugin did not become ready');
    for (const lv of ['5', '4', '3', '2', '1'] as const) {
      const b = new five.Button({ pin: this.o.levelPins[lv], board, invert: this.o.invert });
      b.on('press', () => {
        if (this.st === 'ready') this.emitInput({ kind: 'star', level: Number(lv) as Level });
      });
      this.buttons.push(b);
    }
    if (this.o.staffPin !== null) {
      const b = new five.Button({ pin: this.o.staffPin, board, invert: this.o.invert });
      b.on('press', () => {
        if (this.st === 'ready') this.emitInput({ kind: 'staff' });
      });
      this.buttons.push(b);
    }
    this.set('ready');
  }

  async stop(): Promise<void> {
    this.set('stopped');
    for (const b of this.buttons) b.removeAllListeners();
    this.buttons = [];
  }
}
