import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEVICE_PUBLISHES, DEVICE_SUBSCRIBES, TOPIC_KINDS, buildTopic, hallFilter, mayDevicePublish, mayDeviceSubscribe, parseTopic,
} from '../src/index.js';

const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);

describe('topics', () => {
  it.each([
    ['hcp/v1/hall-1/dev-1/ratings', true],
    ['hcp/v1/hall-1/dev-1/commands', true],
    ['hcp/v2/hall-1/dev-1/ratings', false],
    ['hcp/v1/hall-1/dev-1/firmware', false],
    ['hcp/v1/hall-1/+/ratings', false],
    ['hcp/v1/hall-1/#', false],
    ['hcp/v1//dev-1/ratings', false],
    ['hcp/v1/Hall/dev-1/ratings', false],
    ['hcp/v1/hall-1/-dev/ratings', false],
    ['hcp/v1/hall-1/dev-1/ratings/extra', false],
    ['/hcp/v1/hall-1/dev-1/ratings', false],
    ['', false],
  ])('parse %s → %s', (topic, ok) => {
    expect(parseTopic(topic).ok).toBe(ok);
  });

  it('build rejects ids that break the grammar', () => {
    expect(() => buildTopic('hall+', 'd', 'ratings')).toThrow(/identifier/);
    expect(() => buildTopic('h', 'dev/1', 'ratings')).toThrow(/identifier/);
    expect(() => buildTopic('h', '', 'ratings')).toThrow(/identifier/);
  });

  it('hub filter uses a single-level wildcard for devices', () => {
    expect(hallFilter('hall-1', 'ratings')).toBe('hcp/v1/hall-1/+/ratings');
  });

  it('build/parse round-trips for every valid id and kind', () => {
    fc.assert(
      fc.property(idArb, idArb, fc.constantFrom(...TOPIC_KINDS), (hall, device, kind) => {
        const p = parseTopic(buildTopic(hall, device, kind));
        expect(p).toEqual({ ok: true, topic: { hallId: hall, deviceId: device, kind } });
      }),
    );
  });

  it('parse never throws on any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => { parseTopic(s); }));
  });

  it('a device may use only its own topics, in the right direction', () => {
    const me = { hallId: 'hall-1', deviceId: 'dev-1' };
    for (const k of DEVICE_PUBLISHES) {
      expect(mayDevicePublish(me, buildTopic('hall-1', 'dev-1', k))).toBe(true);
      expect(mayDevicePublish(me, buildTopic('hall-1', 'dev-2', k))).toBe(false);
      expect(mayDevicePublish(me, buildTopic('hall-2', 'dev-1', k))).toBe(false);
      expect(mayDeviceSubscribe(me, buildTopic('hall-1', 'dev-1', k))).toBe(false);
    }
    for (const k of DEVICE_SUBSCRIBES) {
      expect(mayDeviceSubscribe(me, buildTopic('hall-1', 'dev-1', k))).toBe(true);
      expect(mayDeviceSubscribe(me, buildTopic('hall-1', 'dev-2', k))).toBe(false);
      expect(mayDevicePublish(me, buildTopic('hall-1', 'dev-1', k))).toBe(false);
    }
    expect(mayDeviceSubscribe(me, 'hcp/v1/hall-1/+/commands')).toBe(false);
    expect(mayDeviceSubscribe(me, 'hcp/v1/hall-1/dev-1/#')).toBe(false);
    expect(mayDeviceSubscribe(me, '#')).toBe(false);
  });
});
