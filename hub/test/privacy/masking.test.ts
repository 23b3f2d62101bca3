/**
 * Personal data is encrypted at rest and masked everywhere: a hub with forwarding holds sessions
 * with applicant data, device and phone ratings, a 差评 case, misuse flags and exports; then
 *  - every GET route in the OpenAPI document (path parameters filled with every id we know) is
 *    called as admin and as manager, and no answer contains a plaintext name, ID number or phone;
 *  - neither the database file nor its WAL contains them, nor the webhook outbox, the audit log or
 *    the hub's own log lines (at debug level);
 *  - only POST /api/sessions/:id/applicant shows them.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Hub } from '../../src/hub.js';
import { makeConfig } from '../../src/config.js';
import { forwardExtension } from '../../src/forward/extension.js';
import { loadProfile } from '../../src/forward/profile.js';
import { provisionDevice, tokenFor } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { signRateToken } from '../../src/sessions/rate-link.js';

const APPLICANT = { name: '诸葛孔明', idType: '111', idNumber: '370102198105126789', phone: '15866667777', userType: 'person' as const };
const SECRETS = [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone];
const leaks = (text: string): string[] => SECRETS.filter((s) => text.includes(s));

describe('personal data is encrypted at rest and masked in every answer', () => {
  let dir: string;
  let hub: Hub;
  let dev: DevicePublisher;
  const logLines: string[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-masking-'));
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logLines.push(chunk.toString('utf8')); cb(); } });
    const profile = loadProfile({ name: 'generic', adapter: 'generic-json', endpoint: 'http://127.0.0.1:9', credentials: { appId: 'a', secret: 's' } });
    hub = new Hub(makeConfig({ dataDir: dir, httpPort: 0, mqttPort: 0, httpHost: '127.0.0.1', mqttHost: '127.0.0.1', logLevel: 'debug', webhookUrl: 'http://127.0.0.1:9/hook' }),
      { logger: pino({ level: 'debug' }, sink), extensions: [forwardExtension({ profile })] });
    await hub.start();
    const creds = provisionDevice(hub, 'w-01');
    ids.device = creds.deviceId;
    dev = await new DevicePublisher(creds).connect();
    const business = await tokenFor(hub, 'business');
    const open = async (n: number) => (await call(hub, 'POST', '/api/sessions', {
      token: business, body: { windowId: 'w-01', caseNumbers: [`M-${n}`], item: { code: 'X-1', name: '不动产登记' }, staffId: 'staff-007', applicant: APPLICANT },
    }));
    const first = await open(1);
    expect(leaks(JSON.stringify(first.body))).toEqual([]);
    ids.session = first.json<{ id: string }>().id;
    // a 差评 at the device (opens a case, flags, forwarding)
    const bad = makeRating(creds, { sessionId: ids.session, caseNumbers: ['M-1'], origin: 'session', level: 1, indicators: ['501'] });
    await dev.publishRatings([bad]);
    await dev.waitAcks([bad.id]);
    ids.rating = bad.id;
    // a phone rating on a second session
    ids.session2 = (await open(2)).json<{ id: string }>().id;
    ids.token = signRateToken(ids.session2, Date.now() + 3_600_000, hub.secrets.linkKey);
    expect((await call(hub, 'POST', `/api/m/r/${ids.token}/ratings`, { body: { submissionId: 'masking-0123456789abcdef', assessNumber: 1, level: 2, text: '材料退回两次' } })).status).toBe(201);
    ids.case = (hub.db.prepare('SELECT id FROM bad_review_cases ORDER BY opened_at LIMIT 1').get() as { id: string }).id;
    ids.hall = hub.config.hallId;
    ids.window = 'w-01';
    ids.staff = 'staff-007';
  });
  afterAll(async () => {
    await dev?.close();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no GET route answers with plaintext applicant data, whatever id it is given', async () => {
    const spec = (await call(hub, 'GET', '/api/docs/json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const tokens = [await tokenFor(hub, 'admin'), await tokenFor(hub, 'manager')];
    const values = Object.values(ids);
    let called = 0;
    const seen: string[] = [];
    for (const [path, methods] of Object.entries(spec.paths)) {
      if (!methods.get || path === '/api/events' || path.startsWith('/api/docs')) continue; // the SSE stream never ends; docs hold no data
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      // every combination is overkill: fill each parameter with each known id in turn
      const urls = params.length === 0 ? [path] : values.map((v) => path.replace(/\{\w+\}/g, encodeURIComponent(v)));
      for (const u of urls) {
        for (const q of ['', '?format=csv']) {
          for (const token of tokens) {
            const res = await call(hub, 'GET', `${u}${q}`, { token });
            called++;
            const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
            expect(leaks(body), `${u}${q} (${res.status})`).toEqual([]);
            if (res.status === 200) seen.push(u);
          }
        }
      }
    }
    expect(called).toBeGreaterThan(100);
    // the answers that would carry applicant data were really produced (masked), not refused
    for (const must of [`/api/sessions/${ids.session}`, `/api/cases/${ids.case}`, '/api/exports/ratings', '/api/dashboard/ratings', `/api/m/r/${ids.token}`]) expect(seen).toContain(must);
    const masked = await call(hub, 'GET', '/api/exports/ratings?format=csv', { token: tokens[1] });
    expect(String(masked.body)).toContain('诸***');
  });

  it('not in the database file or its WAL, the webhook outbox, the audit log or the log lines', () => {
    hub.db.pragma('wal_checkpoint(PASSIVE)');
    for (const f of readdirSync(dir).filter((n) => n.startsWith('hub.db'))) {
      const bytes = readFileSync(join(dir, f));
      for (const s of SECRETS) expect(bytes.includes(Buffer.from(s, 'utf8')), `${s} in ${f}`).toBe(false);
    }
    expect(leaks(JSON.stringify(hub.db.prepare('SELECT event FROM webhook_outbox').all()))).toEqual([]);
    expect(leaks(JSON.stringify(hub.services.audit.list(1000)))).toEqual([]);
    expect(logLines.length).toBeGreaterThan(5);
    expect(leaks(logLines.join(''))).toEqual([]);
  });

  it('only the reveal route shows it', async () => {
    const res = await call(hub, 'POST', `/api/sessions/${ids.session}/applicant`, { token: await tokenFor(hub, 'auditor'), body: { reason: '审计抽查' } });
    expect(leaks(JSON.stringify(res.body))).toEqual(SECRETS);
  });
});
