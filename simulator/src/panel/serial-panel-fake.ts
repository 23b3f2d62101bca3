/**
 * A fake star-touch panel on a real pseudo-terminal pair (socat), so the device's real serialport
 * binding talks to it exactly as to the hardware. The device opens `devicePath`; the fake holds the
 * other end. Test controls: scripted presses, raw bytes, garbage and dropped-byte noise, and
 * disconnect/reconnect (socat killed and restarted, so the device sees `close` and must reopen).
 *
 * socat comes from Debian's package, installed by the project's postinstall (scripts/bin/system-deps.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { SerialFrameDecoder, encodeFrame, type HostFrame, type Level, type PanelFrame } from '@hcp/protocol';

export interface SerialPanelFakeOptions {
  readonly socat?: string;
  readonly baudRate?: number;
  /** Random source for noise, injectable; defaults to Math.random. */
  readonly random?: () => number;
}

export class SerialPanelFake {
  readonly dir: string;
  readonly devicePath: string;
  readonly panelPath: string;
  /** Frames the device (host) sent to the panel, decoded. */
  readonly hostFrames: HostFrame[] = [];
  private socat: ChildProcess | null = null;
  private port: SerialPort | null = null;
  private decoder = new SerialFrameDecoder('host');
  private hbSeq = 0;

  constructor(private readonly o: SerialPanelFakeOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'hcp-pty-'));
    this.devicePath = join(this.dir, 'device');
    this.panelPath = join(this.dir, 'panel');
  }

  get connected(): boolean {
    return this.socat !== null && this.port?.isOpen === true;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    await this.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Unplug: close our end and kill socat; the device's port sees `close`. */
  async disconnect(): Promise<void> {
    const p = this.port;
    this.port = null;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    const s = this.socat;
    this.socat = null;
    if (s && s.exitCode === null && s.signalCode === null) {
      const gone = new Promise<void>((r) => s.once('exit', () => r()));
      s.kill('SIGTERM');
      await gone;
    }
    this.decoder.reset();
  }

  /** Replug: a new pty pair behind the same paths. */
  async reconnect(): Promise<void> {
    await this.disconnect();
    await this.connect();
  }

  private async connect(): Promise<void> {
    // Links left by a socat that was just killed must not pass for the new pair below.
    rmSync(this.panelPath, { force: true });
    rmSync(this.devicePath, { force: true });
    const socat = spawn(this.o.socat ?? '/usr/bin/socat', [
      '-d', '-d',
      `pty,raw,echo=0,link=${this.panelPath}`,
      `pty,raw,echo=0,link=${this.devicePath}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.socat = socat;
    socat.stderr!.resume();
    const end = Date.now() + 5000;
    while (!(existsSync(this.panelPath) && existsSync(this.devicePath))) {
      if (socat.exitCode !== null) throw new Error(`socat exited with ${socat.exitCode}`);
      if (Date.now() > end) throw new Error('socat did not create the pty pair');
      await new Promise((r) => setTimeout(r, 10));
    }
    const port = new SerialPort({ path: this.panelPath, baudRate: this.o.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (b: Buffer) => {
      for (const item of this.decoder.push(b)) if (item.ok) this.hostFrames.push(item.frame as HostFrame);
    });
    port.on('error', () => undefined);
    this.port = port;
  }

  /** Writes bytes as they are (drained before resolving). */
  async sendRaw(bytes: string | Uint8Array): Promise<void> {
    const p = this.port;
    if (!p?.isOpen) throw new Error('panel is disconnected');
    p.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
    await new Promise<void>((r) => p.drain(() => r()));
  }

  async send(frame: PanelFrame): Promise<void> {
    await this.sendRaw(encodeFrame(frame));
  }

  press(level: Level): Promise<void> {
    return this.send({ type: 'star', level });
  }

  reason(codes: string[]): Promise<void> {
    return this.send({ type: 'reason', codes });
  }

  staff(key = 'S'): Promise<void> {
    return this.send({ type: 'staff', key });
  }

  heartbeat(): Promise<void> {
    return this.send({ type: 'heartbeat', seq: this.hbSeq++ });
  }

  /** n random bytes that are never `$` (so they cannot start a frame). */
  async garbage(n: number): Promise<void> {
    const rnd = this.o.random ?? Math.random;
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let x = Math.floor(rnd() * 256);
      if (x === 0x24) x = 0x25;
      b[i] = x;
    }
    await this.sendRaw(b);
  }

  /** Sends a frame with the byte at `index` dropped, as a noisy line would. */
  async sendDamaged(frame: PanelFrame, index: number): Promise<void> {
    const line = Buffer.from(encodeFrame(frame), 'latin1');
    await this.sendRaw(Buffer.concat([line.subarray(0, index), line.subarray(index + 1)]));
  }

  /** Waits for a frame from the device that satisfies `pred`. */
  async waitForHostFrame(pred: (f: HostFrame) => boolean, ms = 5000): Promise<HostFrame> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.hostFrames.find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error('panel fake: timed out waiting for a host frame');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
