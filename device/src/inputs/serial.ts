/**
 * The star-touch panel on a serial port (serialport + the protocol's frame codec).
 *
 * Bytes go straight into the protocol's SerialFrameDecoder rather than through a line parser: it
 * resyncs on `$` inside a line and bounds memory, so garbage and cut frames cost only themselves.
 * On Linux an unplug shows only as `close`; the driver then reopens with backoff and jitter until
 * the panel is back, reporting `reconnecting` meanwhile. The screen is mirrored to the panel.
 */
import { SerialPort } from 'serialport';
import type { Logger } from 'pino';
import { SerialFrameDecoder, encodeFrame, type HostFrame, type InputState } from '@hcp/protocol';
import type { Clock } from '../time/clock.js';
import { Reopener } from './reopen.js';
import type { ScreenView } from '../screen/view.js';
import { InputEvents, type InputDriver, type InputStatus } from './types.js';

/** The part of serialport's SerialPort this driver uses. */
export interface SerialPortLike {
  open(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  write(data: string): boolean;
  on(event: 'data', fn: (b: Buffer) => void): this;
  on(event: 'close' | 'error', fn: (e?: Error) => void): this;
  removeAllListeners(): this;
  readonly isOpen: boolean;
}

export type OpenSerial = (path: string, baudRate: number) => SerialPortLike;

export const openRealSerial: OpenSerial = (path, baudRate) => new SerialPort({ path, baudRate, autoOpen: false });

export interface SerialInputOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly reopenMinMs: number;
  readonly reopenMaxMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly open?: OpenSerial;
}

export class SerialPanelInput extends InputEvents implements InputDriver {
  readonly kind = 'serial' as const;
  private st: InputState = 'stopped';
  private detail: string | undefined;
  private port: SerialPortLike | null = null;
  private reopen: Reopener | null = null;
  private decoder = new SerialFrameDecoder('panel');
  private lastView: ScreenView | null = null;
  opens = 0;

  constructor(private readonly o: SerialInputOptions) {
    super();
  }

  status(): InputStatus {
    const s = this.decoder.stats;
    const dropped = Object.values(s.errors).reduce((a, b) => a + (b ?? 0), 0);
    return this.detail === undefined ? { driver: 'serial', state: this.st, dropped } : { driver: 'serial', state: this.st, detail: this.detail, dropped };
  }

  get droppedBytes(): number {
    return this.decoder.stats.droppedBytes;
  }

  async start(): Promise<void> {
    this.set('connecting');
    await new Promise<void>((resolve) => this.tryOpen(resolve));
  }

  async stop(): Promise<void> {
    this.set('stopped');
    this.reopen?.cancel();
    const p = this.port;
    this.port = null;
    if (p) {
      p.removeAllListeners();
      p.on('error', () => undefined);
      if (p.isOpen) await new Promise<void>((r) => p.close(() => r()));
    }
  }

  show(view: ScreenView): void {
    this.lastView = view;
    this.send(hostFrameFor(view));
  }

  private set(s: InputState, detail?: string): void {
    this.st = s;
    this.detail = detail;
    this.emitStatus(this.status());
  }

  private send(f: HostFrame): void {
    if (this.port?.isOpen) this.port.write(encodeFrame(f));
  }

  private tryOpen(done?: () => void): void {
    if (this.st === 'stopped') return done?.();
    const open = this.o.open ?? openRealSerial;
    let port: SerialPortLike;
    try {
      port = open(this.o.path, this.o.baudRate);
    } catch (err) {
      this.retry((err as Error).message);
      return done?.();
    }
    this.port = port;
    port.on('error', (err) => this.o.log.debug({ err }, 'serial error'));
    port.open((err) => {
      if (this.st === 'stopped' || this.port !== port) {
        if (!err) port.close();
        return done?.();
      }
      if (err) {
        this.port = null;
        this.retry(err.message);
        return done?.();
      }
      this.opens++;
      this.reopener().opened();
      this.decoder.reset();
      port.on('data', (b) => this.onData(b));
      port.on('close', () => {
        if (this.port !== port) return;
        this.port = null;
        // A frame cut by the unplug is dropped and counted, never half-used.
        this.decoder.reset();
        this.retry('port closed');
      });
      this.set('ready');
      this.o.log.info({ path: this.o.path }, 'serial panel open');
      if (this.lastView) this.send(hostFrameFor(this.lastView));
      done?.();
    });
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

  private onData(b: Buffer): void {
    for (const item of this.decoder.push(b)) {
      if (!item.ok) {
        this.o.log.debug({ code: item.code, detail: item.detail }, 'serial frame dropped');
        continue;
      }
      const f = item.frame;
      switch (f.type) {
        case 'star':
          this.emitInput({ kind: 'star', level: f.level });
          break;
        case 'reason':
          this.emitInput({ kind: 'reason', codes: f.codes });
          break;
        case 'staff':
          this.emitInput({ kind: 'staff' });
          break;
        case 'info':
          this.detail = `${f.model} ${f.firmware}`.slice(0, 200);
          break;
        default:
          break;
      }
    }
  }
}

export function hostFrameFor(v: ScreenView): HostFrame {
  switch (v.kind) {
    case 'prompt':
      return { type: 'prompt', timeoutS: v.timeoutS, staffName: v.staff?.name ?? '', staffNumber: v.staff?.number ?? '' };
    case 'reasons':
      return { type: 'reasons', items: v.items.map((i) => ({ code: i.code, name: i.name })) };
    case 'thanks':
      return { type: 'thanks', level: v.level };
    default:
      return { type: 'idle' };
  }
}
