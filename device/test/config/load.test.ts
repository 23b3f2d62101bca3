import { describe, expect, it } from 'vitest';
import { type HcpError } from '@hcp/protocol';
import { loadConfig } from '../../src/config/load.js';

describe('device config', () => {
  it('fills every default from the schema and freezes', () => {
    const c = loadConfig({});
    expect(c.session.responseIntervalMs).toBe(1500);
    expect(c.input.gpio.levelPins['5']).toBe(2);
    expect(c.input.hid.keys['34']).toBe('star5');
    expect(c.screen.kind).toBe('kiosk');
    expect(Object.isFrozen(c.session)).toBe(true);
  });

  it('lists every error at once with field and rule', () => {
    let err: HcpError | null = null;
    try {
      loadConfig({ input: { driver: 'usb' }, session: { thanksS: 0 }, extra: 1 });
    } catch (e) {
      err = e as HcpError;
    }
    expect(err?.code).toBe('HCP_CONFIG_INVALID');
    const fields = (err?.detail as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['/input/driver', '/session/thanksS']));
    expect(fields.length).toBeGreaterThanOrEqual(3);
  });

  it('checks relations between fields', () => {
    expect(() => loadConfig({ sync: { reconnectMinMs: 5000, reconnectMaxMs: 100 } })).toThrow(/reconnectMaxMs/);
  });
});
