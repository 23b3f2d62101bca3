/** The HID keypad driver behind its open function, against the simulator's fake keypad. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHidKeypad } from '@hcp/simulator';
import { HidInput } from '../../src/inputs/hid.js';
import type { InputEvent } from '../../src/inputs/types.js';
import { loadConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/time/clock.js';
import { silent, until } from '../helpers.js';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

async function setup() {
  const pad = new FakeHidKeypad();
  const keys = loadConfig({}).input.hid.keys;
  const drv = new HidInput({ opener: async () => pad.open, keys, reopenMinMs: 20, reopenMaxMs: 100, clock: systemClock, random: Math.random, log: silent });
  const events: InputEvent[] = [];
  drv.onInput((e) => events.push(e));
  await drv.start();
  stop = () => drv.stop();
  return { pad, drv, events };
}

describe('hid keypad driver', () => {
  it('maps usage ids through the configured key map, on the key-down edge only', async () => {
    const { pad, drv, events } = await setup();
    expect(drv.status().state).toBe('ready');
    pad.tap(34); // '5'
    pad.tap(30); // '1'
    pad.report(Buffer.from([0, 0, 22, 0, 0, 0, 0, 0])); // 'S' down
    pad.report(Buffer.from([0, 0, 22, 0, 0, 0, 0, 0])); // still held: no repeat
    pad.report(Buffer.alloc(8));
    pad.tap(5); // 'B' = reason 2
    expect(events).toEqual([{ kind: 'star', level: 5 }, { kind: 'star', level: 1 }, { kind: 'staff' }, { kind: 'reason-index', index: 2 }]);
  });

  it('unknown keys and malformed reports are dropped and counted', async () => {
    const { pad, drv, events } = await setup();
    pad.tap(99);
    pad.report(Buffer.from([1]));
    expect(events).toEqual([]);
    expect(drv.status().dropped).toBe(2);
  });

  it('survives unplug and replug', async () => {
    const { pad, drv, events } = await setup();
    pad.unplug();
    expect(drv.status().state).toBe('reconnecting');
    await new Promise((r) => setTimeout(r, 100));
    pad.replug();
    await until(() => drv.status().state === 'ready', 3000, 'ready after replug');
    pad.tap(33);
    expect(events).toEqual([{ kind: 'star', level: 4 }]);
    expect(pad.opens).toBe(2);
  });

  it('a missing node-hid binding is reported as failed, not thrown', async () => {
    const drv = new HidInput({ opener: async () => { throw new Error('libusb-1.0.so.0: cannot open shared object file'); }, keys: {}, reopenMinMs: 20, reopenMaxMs: 100, clock: systemClock, random: Math.random, log: silent });
    await drv.start();
    stop = () => drv.stop();
    expect(drv.status()).toMatchObject({ state: 'failed', detail: expect.stringMatching(/HCP_INPUT_UNAVAILABLE/) });
  });
});
