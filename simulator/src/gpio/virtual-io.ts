/**
 * A johnny-five IO plugin with virtual pins (per the IO-plugin spec: MODES, pins, pinMode,
 * digitalRead/digitalWrite, `connect` then `ready`). Test controls: `setPin` drives an input
 * as a wired button would (a press is a level change on the pin), `press`/`release` for buttons.
 */
import { EventEmitter } from 'node:events';

export interface VirtualPin {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

export class VirtualIo extends EventEmitter {
  readonly MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly pins: VirtualPin[];
  readonly analogPins: number[] = [];
  readonly name = 'hcp-virtual-io';
  isReady = false;
  private readers = new Map<number, (v: number) => void>();

  constructor(pinCount = 20) {
    super();
    this.pins = Array.from({ length: pinCount }, () => ({ supportedModes: [0, 1], mode: 0, value: 0, report: 1, analogChannel: 127 }));
    // The spec wants connect and ready emitted asynchronously after construction.
    setImmediate(() => {
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  pinMode(pin: number, mode: number): this {
    const p = this.pins[pin];
    if (p) p.mode = mode;
    return this;
  }

  digitalRead(pin: number, cb: (value: number) => void): void {
    this.readers.set(pin, cb);
    cb(this.pins[pin]?.value ?? 0);
  }

  digitalWrite(pin: number, value: number): this {
    const p = this.pins[pin];
    if (p) p.value = value;
    return this;
  }

  // Methods the spec lists that Buttons do not use, present so the plugin is complete enough for a Board.
  analogRead(): void {}
  reportDigitalPin(): void {}
  queryPinState(_pin: number, cb?: () => void): void {
    cb?.();
  }

  /** Drives an input pin to a level, as the hardware would, and reports it. */
  setPin(pin: number, value: 0 | 1): void {
    const p = this.pins[pin];
    if (!p) throw new Error(`no pin ${pin}`);
    p.value = value;
    this.readers.get(pin)?.(value);
  }

  press(pin: number): void {
    this.setPin(pin, 1);
  }

  release(pin: number): void {
    this.setPin(pin, 0);
  }

  /** Press and release with a hold between (longer than johnny-five's 7 ms debounce). */
  async click(pin: number, holdMs = 30): Promise<void> {
    this.press(pin);
    await new Promise((r) => setTimeout(r, holdMs));
    this.release(pin);
    await new Promise((r) => setTimeout(r, holdMs));
  }
}
