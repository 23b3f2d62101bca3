import { describe, expect, it } from 'vitest';
import { FakeHidKeypad } from '../../src/hid/fake-hid.js';

describe('fake HID keypad', () => {
  it('opens like node-hid, reports taps, errors on unplug and refuses opens until replug', () => {
    const pad = new FakeHidKeypad();
    const dev = pad.open();
    const reports: Buffer[] = [];
    const errors: Error[] = [];
    dev.on('data', (d: Buffer) => reports.push(d));
    dev.on('error', (e: Error) => errors.push(e));
    pad.tap(30);
    expect(reports.map((r) => [...r])).toEqual([[0, 0, 30, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]);
    pad.unplug();
    expect(errors).toHaveLength(1);
    expect(() => pad.open()).toThrow(/not present/);
    pad.replug();
    expect(pad.open()).toBeDefined();
    expect(pad.opens).toBe(2);
  });
});
