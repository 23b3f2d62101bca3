/**
 * Fuzz (bounded, seeded) of the serial panel path: random bytes into the protocol's frame decoder,
 * and into the live device driver (real serialport on a real pty from the simulator's panel fake).
 * Nothing throws, bad bytes are counted, and a good frame sent after the garbage still arrives.
 */
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialFrameDecoder, encodeFrame, isErrorCode, type DecodedItem, type Level } from '@hcp/protocol';
import { systemClock } from '@hcp/device';
import { SerialPanelInput } from '@hcp/device/inputs/serial';
import type { InputEvent } from '@hcp/device/inputs/types';
import { SerialPanelFake } from '../../src/panel/serial-panel-fake.js';
import { until } from '../chaos/helpers.js';

const SEED = 8_2026;
const garbage = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 600 }),
  // bytes near the frame grammar hit the decoder's deeper branches
  fc.array(fc.constantFrom('$', 'H', 'C', 'P', '1', ',', 'STAR', '*', '\r', '\n', '0', '9', 'F', '\x00', '\xff', 'REASON', 'A01'), { maxLength: 80 })
    .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
);

describe('fuzz: serial frame decoder', () => {
  it('never throws; a good frame after any garbage decodes', () => {
    fc.assert(fc.property(garbage, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), (junk, level, split) => {
      const d = new SerialFrameDecoder('panel');
      const good = Buffer.from(encodeFrame({ type: 'star', level: level as Level }), 'latin1');
      const all = Buffer.concat([junk, good]);
      const items: DecodedItem[] = [];
      for (let i = 0; i < all.length; i += split) items.push(...d.push(all.subarray(i, i + split)));
      expect(items.at(-1)).toEqual({ ok: true, frame: { type: 'star', level } });
      // every reject carries a serial code from the catalog
      for (const it of items) if (!it.ok) expect(isErrorCode(it.code) && it.code.startsWith('HCP_SERIAL_')).toBe(true);
    }), { numRuns: 300, seed: SEED });
  });
});

describe('fuzz: live serial driver on a real pty', () => {
  let fake: SerialPanelFake;
  let drv: SerialPanelInput;
  const events: InputEvent[] = [];
  beforeAll(async () => {
    fake = new SerialPanelFake();
    await fake.start();
    drv = new SerialPanelInput({ path: fake.devicePath, baudRate: 9600, reopenMinMs: 30, reopenMaxMs: 200, clock: systemClock, random: Math.random, log: pino({ level: 'silent' }) });
    drv.onInput((e) => events.push(e));
    await drv.start();
  });
  afterAll(async () => {
    await drv?.stop();
    await fake?.stop();
  });

  it('random bytes never break the driver: counted as dropped, the next press still arrives', async () => {
    await fc.assert(fc.asyncProperty(garbage, fc.integer({ min: 1, max: 5 }), async (junk, level) => {
      const n = events.length;
      await fake.sendRaw(junk);
      await fake.press(level as Level);
      await until(() => events.slice(n).some((e) => e.kind === 'star' && e.level === level), 10_000, `press ${level} after garbage`);
      expect(drv.status().state).toBe('ready');
    }), { numRuns: 40, seed: SEED });
    expect(drv.droppedBytes).toBeGreaterThan(0);
    expect(drv.status().dropped).toBeGreaterThan(0);
  }, 60_000);
});
