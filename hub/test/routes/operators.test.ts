import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';

describe('operator routes: login, users, tokens, audit', () => {
  let t: TestHub;
  let admin: string;
  let auditor: string;
  let operator: string;
  beforeAll(async () => {
    t = await startTestHub({ loginRatePerMin: 5 });
    t.hub.services.operators.createUser({ username: 'alice', password: 'alice-password-1', role: 'admin' }, 'cli');
    admin = (await t.hub.services.operators.login('alice', 'alice-password-1')).token;
    auditor = await tokenFor(t.hub, 'auditor');
    operator = await tokenFor(t.hub, 'operator');
  });
  afterAll(async () => t?.stop());

  it('login sets an httpOnly session cookie that authenticates; logout ends it', async () => {
    const res = await t.hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'alice-password-1' } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'hcp_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    const me = await t.hub.http.inject({ method: 'GET', url: '/api/auth/me', cookies: { hcp_session: cookie.value } });
    expect(me.json()).toEqual({ kind: 'user', name: 'user:alice', role: 'admin' });
    expect((await call(t.hub, 'GET', '/api/auth/me', { token: (res.json() as { token: string }).token })).status).toBe(200);
    const out = await t.hub.http.inject({ method: 'POST', url: '/api/auth/logout', cookies: { hcp_session: cookie.value } });
    expect(out.statusCode).toBe(204);
    expect((await t.hub.http.inject({ method: 'GET', url: '/api/auth/me', cookies: { hcp_session: cookie.value } })).statusCode).toBe(401);
  });

  it('wrong password → 401 HCP_AUTH_FAILED (audited); bad body → 400; then rate limited → 429 HCP_RATE_LIMITED', async () => {
    const wrong = await call(t.hub, 'POST', '/api/auth/login', { body: { username: 'alice', password: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'HCP_AUTH_FAILED' });
    expect((await call(t.hub, 'POST', '/api/auth/login', { body: { username: 'alice' } })).status).toBe(400);
    expect(t.hub.services.audit.list(20).some((a) => a.action === 'auth.login-failed')).toBe(true);
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await call(t.hub, 'POST', '/api/auth/login', { body: { username: 'x', password: 'y' } })).status;
    expect(last).toBe(429);
    expect((await call(t.hub, 'POST', '/api/auth/login', { body: { username: 'x', password: 'y' } })).json()).toMatchObject({ code: 'HCP_RATE_LIMITED' });
  });

  it('users: admin only; validation; duplicate 409', async () => {
    expect((await call(t.hub, 'GET', '/api/users')).status).toBe(401);
    expect((await call(t.hub, 'GET', '/api/users', { token: operator })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/users', { token: operator, body: { username: 'bob', password: 'bob-password-1', role: 'operator' } })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/users', { token: admin, body: { username: 'bob', password: 'short', role: 'king' } })).json()).toMatchObject({ code: 'HCP_VALIDATION' });
    expect((await call(t.hub, 'POST', '/api/users', { token: admin, body: { username: 'bob', password: 'bob-password-1', role: 'technician' } })).status).toBe(201);
    expect((await call(t.hub, 'POST', '/api/users', { token: admin, body: { username: 'bob', password: 'bob-password-1', role: 'technician' } })).status).toBe(409);
    const users = (await call(t.hub, 'GET', '/api/users', { token: admin })).json<{ username: string }[]>();
    expect(users.map((u) => u.username)).toContain('bob');
    expect(JSON.stringify(users)).not.toMatch(/scrypt|password/);
  });

  it('API tokens: created once, listed without secrets, revoked', async () => {
    expect((await call(t.hub, 'POST', '/api/tokens', { token: operator, body: { name: 'erp', role: 'business' } })).status).toBe(403);
    expect((await call(t.hub, 'POST', '/api/tokens', { token: admin, body: { name: 'erp', role: 'admin' } })).status).toBe(400);
    const c = (await call(t.hub, 'POST', '/api/tokens', { token: admin, body: { name: 'erp', role: 'business' } })).json<{ id: string; token: string }>();
    expect(c.token).toMatch(/^hcp_/);
    expect((await call(t.hub, 'GET', '/api/auth/me', { token: c.token })).json()).toMatchObject({ kind: 'token', role: 'business' });
    expect(JSON.stringify((await call(t.hub, 'GET', '/api/tokens', { token: admin })).body)).not.toContain(c.token);
    expect((await call(t.hub, 'DELETE', `/api/tokens/${c.id}`, { token: admin })).status).toBe(204);
    expect((await call(t.hub, 'GET', '/api/auth/me', { token: c.token })).status).toBe(401);
    expect((await call(t.hub, 'DELETE', `/api/tokens/${c.id}`, { token: admin })).status).toBe(404);
  });

  it('audit log: auditor may read, operator may not; every mutation above is there with its actor', async () => {
    expect((await call(t.hub, 'GET', '/api/audit', { token: operator })).status).toBe(403);
    expect((await call(t.hub, 'GET', '/api/audit?limit=abc', { token: auditor })).status).toBe(400);
    const log = (await call(t.hub, 'GET', '/api/audit?limit=200', { token: auditor })).json<{ actor: string; action: string }[]>();
    expect(log.find((a) => a.action === 'user.create' && a.actor === 'user:alice')).toBeTruthy();
    expect(log.find((a) => a.action === 'token.create')).toBeTruthy();
    expect(log.find((a) => a.action === 'token.revoke')).toBeTruthy();
  });
});
