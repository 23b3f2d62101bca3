import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic } from '@hcp/protocol';
import { provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';

describe('HTTP auth / ACL hooks for an external broker (EMQX shape)', () => {
  let t: TestHub;
  let broker: string;
  let operator: string;
  beforeAll(async () => {
    t = await startTestHub();
    broker = await tokenFor(t.hub, 'broker');
    operator = await tokenFor(t.hub, 'operator');
  });
  afterAll(async () => t?.stop());

  it('only a broker token may call them', async () => {
    expect((await call(t.hub, 'POST', '/api/mqtt/auth', { body: { clientid: 'x' } })).status).toBe(401);
    expect((await call(t.hub, 'POST', '/api/mqtt/auth', { token: operator, body: { clientid: 'x' } })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/mqtt/acl', { token: broker, body: { clientid: 'x', topic: 't', action: 'read' } })).status).toBe(400);
  });

  it('authenticates devices and the hub; denies wrong passwords, revoked devices and borrowed client ids', async () => {
    const a = provisionDevice(t.hub, 'w-01');
    const auth = (username: string, password: string, clientid: string) => call(t.hub, 'POST', '/api/mqtt/auth', { token: broker, body: { username, password, clientid } });
    expect((await auth(a.deviceId, a.mqtt.password, a.deviceId)).json()).toEqual({ result: 'allow', is_superuser: false });
    expect((await auth(a.deviceId, 'wrong-password-xxxxxxxx', a.deviceId)).json()).toMatchObject({ result: 'deny' });
    expect((await auth(a.deviceId, a.mqtt.password, 'other-client')).json()).toMatchObject({ result: 'deny' });
    const h = t.hub.secrets.mqtt;
    expect((await auth(h.username, h.password, h.clientId)).json()).toEqual({ result: 'allow', is_superuser: true });
    await t.hub.services.provisioning.decommission(a.deviceId, 'user:test');
    expect((await auth(a.deviceId, a.mqtt.password, a.deviceId)).json()).toMatchObject({ result: 'deny' });
  });

  it("ACL: a device may publish and subscribe only on its own topics", async () => {
    const a = provisionDevice(t.hub, 'w-02');
    const b = provisionDevice(t.hub, 'w-03');
    const acl = async (username: string, topic: string, action: string) =>
      (await call(t.hub, 'POST', '/api/mqtt/acl', { token: broker, body: { username, clientid: username, topic, action } })).json<{ result: string }>().result;
    expect(await acl(a.deviceId, buildTopic(a.hallId, a.deviceId, 'ratings'), 'publish')).toBe('allow');
    expect(await acl(a.deviceId, buildTopic(a.hallId, a.deviceId, 'acks'), 'subscribe')).toBe('allow');
    expect(await acl(a.deviceId, buildTopic(b.hallId, b.deviceId, 'ratings'), 'publish')).toBe('deny');
    expect(await acl(a.deviceId, buildTopic(b.hallId, b.deviceId, 'acks'), 'subscribe')).toBe('deny');
    expect(await acl(a.deviceId, buildTopic(a.hallId, a.deviceId, 'acks'), 'publish')).toBe('deny');
    expect(await acl(a.deviceId, 'hcp/v1/+/+/acks', 'subscribe')).toBe('deny');
    expect(await acl('dev-unknown', 'hcp/v1/hall-1/dev-unknown/ratings', 'publish')).toBe('deny');
    expect(await acl(t.hub.secrets.mqtt.username, 'hcp/v1/hall-1/+/ratings', 'subscribe')).toBe('allow');
  });
});
