/** The topic allow-list the broker thread checks packets against says exactly what mayPublish / maySubscribe say. */
import { describe, expect, it } from 'vitest';
import { TOPIC_KINDS } from '@hcp/protocol';
import { DeviceAuth, type MqttPrincipal } from '../../src/broker/device-auth.js';
import type { Db } from '../../src/db/db.js';

describe('DeviceAuth.allowList', () => {
  // the ACL methods and allowList never touch the database
  const auth = new DeviceAuth(null as unknown as Db, { username: '$hcp-hub', password: 'x', clientId: 'hcp-hub' });
  const dev: MqttPrincipal = { kind: 'device', hallId: 'hall-1', deviceId: 'dev-aaaa1111' };

  it('a device: the same verdict as mayPublish / maySubscribe for its own, other, wildcard and malformed topics', () => {
    const topics = [
      ...['hall-1', 'hall-2'].flatMap((h) => ['dev-aaaa1111', 'dev-bbbb2222'].flatMap((d) => TOPIC_KINDS.map((k) => `hcp/v1/${h}/${d}/${k}`))),
      'hcp/v1/hall-1/+/ratings', 'hcp/v1/hall-1/dev-aaaa1111/#', '#', 'hcp/v1/hall-1/dev-aaaa1111/ratings/x', 'hcp/v2/hall-1/dev-aaaa1111/ratings',
      '/hcp/v1/hall-1/dev-aaaa1111/ratings', 'hcp/v1/hall-1/dev-aaaa1111/', '', '$SYS/broker/uptime',
    ];
    const allow = auth.allowList(dev);
    if (allow === 'all') throw new Error('a device must not be a superuser');
    let allowed = 0;
    for (const t of topics) {
      expect(allow.publish.includes(t), `publish ${t}`).toBe(auth.mayPublish(dev, t));
      expect(allow.subscribe.includes(t), `subscribe ${t}`).toBe(auth.maySubscribe(dev, t));
      if (auth.mayPublish(dev, t) || auth.maySubscribe(dev, t)) allowed++;
    }
    expect(allowed).toBe(TOPIC_KINDS.length); // its own topics, nothing else
  });

  it('the hub may use every topic', () => {
    expect(auth.allowList({ kind: 'hub' })).toBe('all');
  });
});
