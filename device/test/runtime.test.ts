/** The composed runtime in-process: storage limits, corrupt outbox, response interval, telemetry fields. */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { Telemetry } from '@hcp/protocol';
import { DeviceRuntime } from '../src/runtime.js';
import { loadConfig } from '../src/config/load.js';
import { makeIdentity, provision, silent, tempDir, testConfig } from './helpers.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function device(over: Record<string, unknown> = {}, prepare?: (dir: string) => void) {
  const t = tempDir();
  cleanup.push(t.cleanup);
  provision(t.dir, makeIdentity('mqtt://127.0.0.1:1')); // no broker: the device works offline
  prepare?.(t.dir);
  const rt = new DeviceRuntime({ config: loadConfig(testConfig(over)), dataDir: t.dir, log: silent });
  await rt.start();
  cleanup.push(() => rt.stop());
  return rt;
}

describe('device runtime', () => {
  it('outbox full: refuses with a Chinese screen message and telemetry, keeps every committed row', async () => {
    const rt = await device({ outbox: { maxBytes: 65_536, minFreeBytes: 0 } });
    let thanked = 0;
    for (let i = 0; i < 2000; i++) {
      const f = rt.handleInput({ kind: 'star', level: 5 });
      if (f.view.kind === 'thanks') thanked++;
      else break;
    }
    expect(rt.view()).toEqual({ kind: 'refusing', message: '存储空间已满，暂停评价，请联系管理员' });
    expect(rt.telemetry().session).toBe('refusing');
    expect(rt.outbox.backlog()).toBe(thanked);
    expect(thanked).toBeGreaterThan(10);
    // Still refusing on the next press: no thanks without a commit.
    expect(rt.handleInput({ kind: 'star', level: 5 }).view.kind).toBe('refusing');
  });

  it('low disk space refuses new sessions from the start', async () => {
    const rt = await device({ outbox: { minFreeBytes: Number.MAX_SAFE_INTEGER, maxBytes: null } });
    expect(rt.view().kind).toBe('refusing');
    expect(rt.handleInput({ kind: 'staff' }).view.kind).toBe('refusing');
  });

  it('a corrupt outbox is moved aside and reported; the device keeps working', async () => {
    const rt = await device({}, (dir) => writeFileSync(join(dir, 'outbox.sqlite'), randomBytes(10_000)));
    expect(rt.health().corruptOutbox).toMatch(/outbox\.sqlite\.corrupt-/);
    expect(rt.handleInput({ kind: 'star', level: 4 }).view.kind).toBe('thanks');
  });

  it('presses inside the response interval are ignored and counted in telemetry', async () => {
    const rt = await device({ session: { responseIntervalMs: 60_000, walkUp: 'accept-flagged', thanksS: 1 } });
    expect(rt.handleInput({ kind: 'star', level: 5 }).view.kind).toBe('thanks');
    rt.handleInput({ kind: 'star', level: 1 });
    rt.handleInput({ kind: 'star', level: 1 });
    expect(rt.outbox.backlog()).toBe(1);
    expect(rt.controller.ignored.interval).toBe(2);
    const t = rt.telemetry();
    expect(t.input.dropped).toBe(2);
    expect(Value.Check(Telemetry, t)).toBe(true);
    expect(t).toMatchObject({ backlog: 1, lastAckAt: null, clock: { trusted: false, source: 'none' }, session: 'thanks' });
  });

  it('walk-up refused by default; the staff key opens a session', async () => {
    const rt = await device({ session: { responseIntervalMs: 0, walkUp: 'refuse' } });
    expect(rt.handleInput({ kind: 'star', level: 5 }).view.kind).toBe('idle');
    expect(rt.handleInput({ kind: 'staff' }).view.kind).toBe('prompt');
    expect(rt.handleInput({ kind: 'star', level: 3 }).view.kind).toBe('thanks');
    const row = rt.outbox.pendingAfter(0, 10)[0]!;
    expect(JSON.parse(row.body)).toMatchObject({ origin: 'staff-key', flags: ['clock-untrusted'], level: 3 });
  });
});
