/** johnny-five Buttons on the simulator's virtual-pin IO plugin. */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualIo } from '@hcp/simulator';
import { GpioInput, type IoPlugin } from '../../src/inputs/gpio.js';
import type { InputEvent } from '../../src/inputs/types.js';
import { systemClock } from '../../src/time/clock.js';
import { silent, until } from '../helpers.js';

const pins = { '5': 2, '4': 3, '3': 4, '2': 5, '1': 6 } as const;
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

describe('gpio driver (johnny-five + virtual IO plugin)', () => {
  it('maps each button to its level and the staff pin to the staff key', async () => {
    const io = new VirtualIo();
    const drv = new GpioInput({ io: async () => io as unknown as IoPlugin, levelPins: pins, staffPin: 7, invert: false, readyTimeoutMs: 5000, clock: systemClock, log: silent });
    const events: InputEvent[] = [];
    drv.onInput((e) => events.push(e));
    await drv.start();
    stop = () => drv.stop();
    expect(drv.status().state).toBe('ready');
    await io.click(2);
    await io.click(6);
    await io.click(7);
    await until(() => events.length === 3);
    expect(events).toEqual([{ kind: 'star', level: 5 }, { kind: 'star', level: 1 }, { kind: 'staff' }]);
  });

  it('a missing IO plugin is reported as failed (HCP_INPUT_UNAVAILABLE), not thrown', async () => {
    const drv = new GpioInput({ io: async () => { throw new Error('Cannot find module firmata'); }, levelPins: pins, staffPin: null, invert: false, readyTimeoutMs: 1000, clock: systemClock, log: silent });
    await drv.start();
    stop = () => drv.stop();
    expect(drv.status()).toMatchObject({ state: 'failed', detail: expect.stringMatching(/^HCP_INPUT_UNAVAILABLE/) });
  });

  it('a board that never becomes ready is reported as failed', async () => {
    const io = new VirtualIo();
    // Swallow the ready events: a Firmata board that does not answer.
    io.emit = () => true;
    const drv = new GpioInput({ io: async () => io as unknown as IoPlugin, levelPins: pins, staffPin: null, invert: false, readyTimeoutMs: 200, clock: systemClock, log: silent });
    await drv.start();
    stop = () => drv.stop();
    expect(drv.status().state).toBe('failed');
  });
});

describe('gpio IO plugin by module name', () => {
  it('loads a named export of a package and reports a missing one as unavailable', async () => {
    const { moduleIo } = await import('../../src/inputs/gpio.js');
    // The simulator's plugin, loaded the way a Raspberry Pi plugin would be on a board.
    const io = await moduleIo('@hcp/simulator/gpio/virtual-io#VirtualIo', {})();
    expect(io.MODES.INPUT).toBe(0);
    await expect(moduleIo('@hcp/simulator/gpio/virtual-io#Nope', {})()).rejects.toThrow(/does not export/);
    await expect(moduleIo('no-such-io-plugin-hcp', {})()).rejects.toThrow();
  });
});
