/**
 * A fake USB HID keypad implementing the device driver's HidDeviceLike interface (on('data'),
 * on('error'), close()), with test controls: key presses as keyboard-style reports, raw reports,
 * unplug (the open device errors, further opens throw) and replug.
 */
import { EventEmitter } from 'node:events';

export class FakeHidDevice extends EventEmitter {
  closed = false;

  close(): void {
    this.closed = true;
    this.removeAllListeners();
  }
}

export class FakeHidKeypad {
  private current: FakeHidDevice | null = null;
  private plugged = true;
  opens = 0;

  /** The injected open function: throws like node-hid when the keypad is not there. */
  readonly open = (): FakeHidDevice => {
    if (!this.plugged) throw new Error('could not open HID device (not present)');
    this.opens++;
    this.current = new FakeHidDevice();
    return this.current;
  };

  get device(): FakeHidDevice | null {
    return this.current && !this.current.closed ? this.current : null;
  }

  /** One key down then all keys up, as a keyboard-style report pair: [mod, 0, k1..k6]. */
  tap(usage: number): void {
    this.report(Buffer.from([0, 0, usage, 0, 0, 0, 0, 0]));
    this.report(Buffer.alloc(8));
  }

  report(data: Buffer): void {
    const d = this.device;
    if (!d) throw new Error('keypad is not open');
    d.emit('data', data);
  }

  unplug(): void {
    this.plugged = false;
    const d = this.device;
    if (d) d.emit('error', new Error('could not read from HID device'));
  }

  replug(): void {
    this.plugged = true;
  }
}
