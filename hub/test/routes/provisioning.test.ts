import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRating } from '@hcp/protocol';
import { FakeClock, seedWindow, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';

const req = (claimCode: string, hardwareId = 'pi-serial-0001') => ({ v: 1, claimCode, hardwareId, model: 'Raspberry Pi 4B', appVersion: '0.1.0' });

describe('provisioning: claim codes and the device exchange', () => {
  let t: TestHub;
  let technician: string;
  let operator: string;
  const clock = new FakeClock(Date.now());
  beforeAll(async () => {
    t = await startTestHub({ publicRatePerMin: 30, claimCodeTtlS: 3600 }, { clock });
    seedWindow(t.hub, 'w-01');
    technician = await tokenFor(t.hub, 'technician');
    operator = await tokenFor(t.hub, 'operator');
  });
  afterAll(async () => t?.stop());

  it('unknown code → 202 pending and listed as waiting; claimed by a technician → 200 with identity that works over MQTT; then single-use', async () => {
    const first = await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD') });
    expect(first.status).toBe(202);
    expect(first.json()).toMatchObject({ code: 'HCP_CLAIM_PENDING' });
    const waiting = (await call(t.hub, 'GET', '/api/provision/codes?state=waiting', { token: technician })).json<{ code: string; hardwareId: string }[]>();
    expect(waiting).toEqual([expect.objectContaining({ code: '7K3M-Q9XD', hardwareId: 'pi-serial-0001' })]);
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD') })).status).toBe(202);

    expect((await call(t.hub, 'POST', '/api/devices/claim', { token: operator, body: { claimCode: '7K3M-Q9XD', windowId: 'w-01' } })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/devices/claim', { body: { claimCode: '7K3M-Q9XD', windowId: 'w-01' } })).status).toBe(401);
    expect((await call(t.hub, 'POST', '/api/devices/claim', { token: technician, body: { claimCode: '7K3M', windowId: 'w-01' } })).status).toBe(400);
    expect((await call(t.hub, 'POST', '/api/devices/claim', { token: technician, body: { claimCode: '7K3M-Q9XD', windowId: 'w-99' } })).status).toBe(404);
    expect((await call(t.hub, 'POST', '/api/devices/claim', { token: technician, body: { claimCode: 'AAAA-BBBB', windowId: 'w-01' } })).json()).toMatchObject({ code: 'HCP_CLAIM_INVALID' });
    expect((await call(t.hub, 'POST', '/api/devices/claim', { token: technician, body: { claimCode: '7K3M-Q9XD', windowId: 'w-01' } })).status).toBe(200);

    // another board presenting the same code gets nothing
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD', 'pi-other') })).status).toBe(404);
    const ok = await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD') });
    expect(ok.status).toBe(200);
    const p = ok.json<{ deviceId: string; hallId: string; windowId: string; signingKey: string; mqtt: { url: string; username: string; password: string; clientId: string } }>();
    expect(p).toMatchObject({ v: 1, hallId: 'hall-1', windowId: 'w-01', mqtt: { username: p.deviceId, clientId: p.deviceId, url: t.hub.mqttUrl } });
    const dev = await new DevicePublisher(p).connect();
    const r = makeRating(p);
    expect(verifyRating(r, p.signingKey)).toBe(true);
    await dev.publishRatings([r]);
    expect((await dev.waitAcks([r.id]))[0]!.result).toBe('stored');
    await dev.close();
    // secrets are not stored in clear
    const row = t.hub.db.prepare('SELECT mqtt_password_hash AS h, signing_key_enc AS k FROM devices WHERE id = ?').get(p.deviceId) as { h: string; k: string };
    expect(row.h).toMatch(/^scrypt\$/);
    expect(row.k).not.toContain(p.signingKey);

    const again = await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD') });
    expect(again.status).toBe(404);
    expect(again.json()).toMatchObject({ code: 'HCP_CLAIM_INVALID' });
    const actions = t.hub.services.audit.list(50).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['provision.waiting', 'provision.claim', 'provision.issued']));

    // decommissioned: the code now answers 403 HCP_DEVICE_REVOKED
    await t.hub.services.provisioning.decommission(p.deviceId, 'user:test');
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req('7K3M-Q9XD') })).json()).toMatchObject({ code: 'HCP_DEVICE_REVOKED' });
  });

  it('pre-created codes work once and expire', async () => {
    expect((await call(t.hub, 'POST', '/api/provision/codes', { token: operator, body: { windowId: 'w-01' } })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/provision/codes', { token: technician, body: {} })).status).toBe(400);
    const c = (await call(t.hub, 'POST', '/api/provision/codes', { token: technician, body: { windowId: 'w-01' } })).json<{ code: string }>();
    expect(c.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req(c.code, 'pi-2') })).status).toBe(200);
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req(c.code, 'pi-2') })).status).toBe(404);
    const late = (await call(t.hub, 'POST', '/api/provision/codes', { token: technician, body: { windowId: 'w-01' } })).json<{ code: string }>();
    clock.advance(3601_000);
    expect((await call(t.hub, 'POST', '/api/provision/exchange', { body: req(late.code, 'pi-3') })).json()).toMatchObject({ code: 'HCP_CLAIM_INVALID' });
  });

  it('bad exchange bodies → 400 with field errors; the public endpoint is rate limited', async () => {
    const bad = await call(t.hub, 'POST', '/api/provision/exchange', { body: { v: 1, claimCode: 'lower-case', hardwareId: '' } });
    expect(bad.status).toBe(400);
    expect(bad.json<{ detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['/claimCode']));
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await call(t.hub, 'POST', '/api/provision/exchange', { body: req('ZZZZ-ZZZZ') })).status;
    expect(status).toBe(429);
  });
});
