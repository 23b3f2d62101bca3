/** The serial panel driver over a real pty pair (socat) against the simulator's panel fake. */
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPanelFake } from '@hcp/simulator';
import { SerialPanelInput } from '../../src/inputs/serial.js';
import type { InputEvent, InputStatus } from '../../src/inputs/types.js';
import { systemClock } from '../../src/time/clock.js';
import { silent, until } from '../helpers.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup() {
  const fake = new SerialPanelFake();
  await fake.start();
  cleanup.push(() => fake.stop());
  const drv = new SerialPanelInput({ path: fake.devicePath, baudRate: 9600, reopenMinMs: 30, reopenMaxMs: 200, clock: systemClock, random: Math.random, log: silent });
  const events: InputEvent[] = [];
  const states: InputStatus['state'][] = [];
  drv.onInput((e) => events.push(e));
  drv.onStatus((s) => states.push(s.state));
  await drv.start();
  cleanup.push(() => drv.stop());
  return { fake, drv, events, states };
}

describe('serial panel driver (real serialport on a pty)', () => {
  it('reads presses, reasons and the staff key; mirrors the screen to the panel', async () => {
    const { fake, drv, events } = await setup();
    expect(drv.status().state).toBe('ready');
    await fake.press(5);
    await fake.reason(['A01', 'A02']);
    await fake.staff('K1');
    await fake.heartbeat();
    await until(() => events.length === 3);
    expect(events).toEqual([{ kind: 'star', level: 5 }, { kind: 'reason', codes: ['A01', 'A02'] }, { kind: 'staff' }]);
    drv.show({ kind: 'prompt', staff: { id: 's', name: '张三', number: '007' }, item: null, caseCount: 1, rateUrl: null, timeoutS: 60 });
    expect(await fake.waitForHostFrame((f) => f.type === 'prompt')).toEqual({ type: 'prompt', timeoutS: 60, staffName: '张三', staffNumber: '007' });
    drv.show({ kind: 'thanks', level: 4, ratingId: 'x' });
    expect(await fake.waitForHostFrame((f) => f.type === 'thanks')).toEqual({ type: 'thanks', level: 4 });
  });

  it('survives garbage and dropped bytes: bad frames are counted, good ones still arrive', async () => {
    const { fake, drv, events } = await setup();
    await fake.garbage(500);
    await fake.sendDamaged({ type: 'star', level: 1 }, 9); // the level digit's neighbour: checksum fails or shape breaks
    await fake.sendRaw('$HCP1,STAR,3*00\r\n'); // wrong checksum
    await fake.sendRaw('$HCP1,STAR,9'); // cut short by the next `$`
    await fake.press(2);
    await until(() => events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([{ kind: 'star', level: 2 }]);
    expect(drv.status().dropped).toBeGreaterThanOrEqual(4);
    expect(drv.droppedBytes).toBeGreaterThanOrEqual(500);
  });

  it('unplug → reconnecting with backoff → replug → ready, and presses flow again', async () => {
    const { fake, drv, events, states } = await setup();
    await fake.disconnect();
    await until(() => drv.status().state === 'reconnecting', 5000, 'reconnecting');
    expect(drv.status().detail).toMatch(/HCP_INPUT_UNAVAILABLE/);
    await new Promise((r) => setTimeout(r, 300)); // a few failed reopen attempts while unplugged
    await fake.reconnect();
    await until(() => drv.status().state === 'ready', 5000, 'ready again');
    expect(drv.opens).toBe(2);
    await fake.press(4);
    await until(() => events.length === 1);
    expect(events[0]).toEqual({ kind: 'star', level: 4 });
    expect(states).toContain('reconnecting');
  });

  it('a port that does not exist leaves the driver reconnecting, not crashed', async () => {
    const drv = new SerialPanelInput({ path: '/dev/does-not-exist-hcp', baudRate: 9600, reopenMinMs: 20, reopenMaxMs: 50, clock: systemClock, random: Math.random, log: silent });
    await drv.start();
    cleanup.push(() => drv.stop());
    expect(drv.status().state).toBe('reconnecting');
  });
});
