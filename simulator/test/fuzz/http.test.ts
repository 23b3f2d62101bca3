/**
 * Fuzz (bounded, seeded) of the hub's HTTP endpoints over real HTTP: malformed bodies (garbage
 * bytes, broken and wrong-shaped JSON, deep nesting, oversized), wrong content types and garbage
 * headers, on the public endpoints (login, device provisioning) and, with valid credentials, on
 * routes that parse bodies. Every answer is a 4xx JSON body with a catalog error code, never a 5xx,
 * and the hub stays healthy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub, makeConfig } from '@hcp/hub';
import { isErrorCode } from '@hcp/protocol';

const SEED = 8_2026;
let dir: string;
let hub: Hub;
let base: URL;
let manager: string;
let business: string;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Raw HTTP (fetch would refuse some of the headers a fuzzer makes). */
function send(method: string, path: string, headers: Record<string, string>, body: Buffer | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

function expectCoded4xx(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.status} ${a.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(a.status, `${what}: ${a.body.slice(0, 200)}`).toBeLessThan(500);
  expect(a.contentType).toMatch(/application\/json/);
  const j = JSON.parse(a.body) as { code?: unknown };
  expect(isErrorCode(j.code), `${what}: code ${String(j.code)}`).toBe(true);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hcp-fuzz-http-'));
  // rate limits raised so the fuzzer reaches body parsing (rate limiting has its own tests)
  hub = new Hub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'silent', loginRatePerMin: 100_000, publicRatePerMin: 100_000 }),
    { logger: pino({ level: 'silent' }) });
  base = new URL((await hub.start()).httpUrl);
  const ops = hub.services.operators;
  ops.createUser({ username: 'mgr', password: 'correct horse battery', role: 'manager' }, 'fuzz');
  manager = (await ops.login('mgr', 'correct horse battery')).token;
  business = ops.createToken('fuzz-business', 'business', 'fuzz').token;
});

afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => Buffer.from(j)),
  fc.json().map((j) => Buffer.from(j.slice(0, Math.max(0, j.length - 1)))), // truncated
  fc.anything({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  fc.nat({ max: 3000 }).map((n) => Buffer.from('['.repeat(n + 1000) + ']'.repeat(n + 1000))), // deep nesting
  fc.dictionary(fc.constantFrom('username', 'password', 'claimCode', 'hardwareId', 'v', 'ids', 'windowId', 'caseNumbers', '__proto__', 'constructor'), fc.anything({ maxDepth: 2 }))
    .map((o) => Buffer.from(JSON.stringify(o))),
);
const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '');
const targets = [
  { method: 'POST', path: '/api/auth/login', auth: null },
  { method: 'POST', path: '/api/provision/exchange', auth: null },
  { method: 'POST', path: '/api/ratings/lookup', auth: 'manager' },
  { method: 'POST', path: '/api/sessions', auth: 'business' },
  { method: 'POST', path: '/api/windows', auth: 'manager' },
] as const;

describe('fuzz: HTTP bodies and headers against a real hub', () => {
  it('malformed bodies and content types: a coded 4xx JSON answer, never a 5xx', async () => {
    let refused = 0;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...targets), bodies, contentTypes, async (t, body, ct) => {
      const headers: Record<string, string> = ct ? { 'content-type': ct } : {};
      if (t.auth) headers.authorization = `Bearer ${t.auth === 'manager' ? manager : business}`;
      const a = await send(t.method, t.path, headers, body);
      // a fuzzed body can be a valid request (e.g. a lookup of no ids); anything else must be a coded 4xx
      if (a.status < 300) return;
      refused++;
      expectCoded4xx(a, `${t.method} ${t.path} ${ct} ${body.subarray(0, 60).toString('utf8')}`);
    }), { numRuns: 150, seed: SEED });
    expect(refused).toBeGreaterThan(100); // the fuzzer really hit the error paths
  }, 60_000);

  it('garbage headers (authorization, cookie, content-length) are refused with a coded 4xx', async () => {
    const header = fc.stringMatching(/^[\x21-\x7e]{0,80}$/);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...targets), header, header, async (t, auth, cookie) => {
      const a = await send(t.method, t.path, { 'content-type': 'application/json', authorization: auth, cookie: `hcp_session=${cookie}` }, Buffer.from('{}'));
      if (a.status < 300) return;
      expectCoded4xx(a, `${t.path} auth=${auth}`);
    }), { numRuns: 60, seed: SEED });
    // a body larger than the hub's limit (1 MiB)
    expectCoded4xx(await send('POST', '/api/auth/login', { 'content-type': 'application/json' }, Buffer.alloc(1024 * 1024 + 10, 0x20)), 'oversized body');
  }, 60_000);

  it('garbage paths and ids (public photo route, unknown routes, odd methods): coded 4xx, never a 5xx', async () => {
    const seg = fc.stringMatching(/^[A-Za-z0-9._~-]{0,40}$/); // bad %-escapes: see the next two tests
    await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH'), fc.constantFrom('/api/staff/%s/photo', '/api/%s', '/api/sessions/%s/cancel', '/%s'), seg, async (m, shape, id) => {
      const a = await send(m, shape.replace('%s', id), {}, null);
      if (a.status < 300 || (a.status >= 300 && a.status < 400)) return; // the dashboard's pages and redirects
      expectCoded4xx(a, `${m} ${shape} ${id}`);
    }), { numRuns: 80, seed: SEED });
  }, 60_000);

  it('a malformed %-escape in the path is a 400 JSON answer, not a 5xx', async () => {
    for (const path of ['/api/staff/%/photo', '/api/%E0%A4%A', '/%zz']) {
      const a = await send('GET', path, {}, null);
      expect(a.status).toBe(400);
      expect(typeof (JSON.parse(a.body) as { code?: unknown }).code).toBe('string');
    }
  });

  // BUG (hub/src/app.ts, not fixed here): a malformed %-escape in the URL is answered with Fastify's
  // own code FST_ERR_BAD_URL instead of a code from the catalog (protocol/src/errors.ts). The hub's
  // error handling does not cover Fastify's frameworkErrors/onBadUrl. Remove `.fails` once it maps it.
  it('a malformed %-escape in the path gets a catalog error code', async () => {
    expectCoded4xx(await send('GET', '/api/staff/%/photo', {}, null), 'bad %-escape');
  });

  it('the hub is still healthy', async () => {
    expect((await send('GET', '/healthz', {}, null)).status).toBe(200);
  });
});
