import { describe, expect, it } from 'vitest';
import { VirtualIo } from '../../src/gpio/virtual-io.js';

describe('virtual IO plugin', () => {
  it('emits connect then ready asynchronously and reports pin changes to digitalRead', async () => {
    const io = new VirtualIo(8);
    const order: string[] = [];
    io.on('connect', () => order.push('connect'));
    io.on('ready', () => order.push('ready'));
    expect(io.isReady).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['connect', 'ready']);
    const seen: number[] = [];
    io.pinMode(3, io.MODES.INPUT);
    io.digitalRead(3, (v) => seen.push(v));
    io.press(3);
    io.release(3);
    expect(seen).toEqual([0, 1, 0]);
    expect(() => io.setPin(42, 1)).toThrow(/no pin/);
  });
});
