import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { SerialFrameDecoder, encodeFrame } from '@hcp/protocol';
import { SerialPanelFake } from '../../src/panel/serial-panel-fake.js';

let fake: SerialPanelFake | null = null;
let port: SerialPort | null = null;
afterEach(async () => {
  const p = port;
  if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  await fake?.stop();
  fake = null;
  port = null;
});

async function openDeviceSide(path: string): Promise<SerialPort> {
  const p = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => p.open((e) => (e ? rej(e) : res())));
  p.on('error', () => undefined);
  return p;
}

describe('serial panel fake (socat pty pair)', () => {
  it('carries panel frames to the device end and host frames back', async () => {
    fake = new SerialPanelFake();
    await fake.start();
    port = await openDeviceSide(fake.devicePath);
    const dec = new SerialFrameDecoder('panel');
    const got: unknown[] = [];
    port.on('data', (b: Buffer) => got.push(...dec.push(b).filter((x) => x.ok).map((x) => (x.ok ? x.frame : null))));
    await fake.press(3);
    await fake.reason(['A01']);
    port.write(encodeFrame({ type: 'idle' }));
    await fake.waitForHostFrame((f) => f.type === 'idle');
    const end = Date.now() + 3000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([{ type: 'star', level: 3 }, { type: 'reason', codes: ['A01'] }]);
  });

  it('noise: garbage never contains `$`; a damaged frame fails to decode', async () => {
    fake = new SerialPanelFake({ random: () => 0x24 / 256 });
    await fake.start();
    port = await openDeviceSide(fake.devicePath);
    const bytes: Buffer[] = [];
    port.on('data', (b: Buffer) => bytes.push(b));
    await fake.garbage(64);
    await fake.sendDamaged({ type: 'star', level: 5 }, 3);
    const end = Date.now() + 3000;
    while (Buffer.concat(bytes).length < 64 + 15 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const all = Buffer.concat(bytes);
    expect(all.subarray(0, 64).includes(0x24)).toBe(false);
    const dec = new SerialFrameDecoder('panel');
    expect(dec.push(all).filter((x) => x.ok)).toEqual([]);
  });

  it('disconnect closes the device end; reconnect brings a new pty at the same path', async () => {
    fake = new SerialPanelFake();
    await fake.start();
    port = await openDeviceSide(fake.devicePath);
    // Linux reports an unplugged pty only to a reader: read, as the device driver does.
    port.on('data', () => undefined);
    const closed = new Promise<void>((r) => port!.once('close', () => r()));
    await fake.disconnect();
    await closed;
    expect(fake.connected).toBe(false);
    await fake.reconnect();
    port = await openDeviceSide(fake.devicePath);
    expect(fake.connected).toBe(true);
  });
});
