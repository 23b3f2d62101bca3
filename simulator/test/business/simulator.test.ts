import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionOpenRequest, validate } from '@hcp/protocol';
import { isValidIdNumber, isValidUscc } from '../../src/business/idcard.js';
import { HubListError } from '../../src/business/hub-client.js';
import { seededRandom } from '../../src/business/random.js';
import { BusinessSimulator, type BusinessOptions } from '../../src/business/simulator.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}

/** A tiny hub stand-in: lists windows and staff, records every session request. */
class FakeHub {
  server: Server | null = null;
  seen: Seen[] = [];
  windows: unknown = [
    { id: 'w-01', hallId: 'hall-1', name: '1号窗口', staffId: 'staff-001', deviceId: 'dev-0001' },
    { id: 'w-02', hallId: 'hall-1', name: '2号窗口', staffId: null, deviceId: 'dev-0002' },
    { id: 'w-03', hallId: 'hall-1', name: '3号窗口', staffId: null, deviceId: null },
  ];
  staff: unknown = [
    { id: 'staff-001', name: '王晓燕', active: true },
    { id: 'staff-002', name: '李强', active: true },
    { id: 'staff-003', name: '赵敏', active: false },
  ];
  answer: (body: SessionOpenRequest) => [number, unknown] = () => [201, { id: `s-${this.seen.length}` }];

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (req.method === 'GET' && req.url === '/api/windows') return send(200, this.windows);
    if (req.method === 'GET' && req.url === '/api/staff') return send(200, this.staff);
    if (req.method === 'POST' && req.url === '/api/sessions') {
      const v = validate(SessionOpenRequest, body);
      if (!v.ok) return send(400, { code: 'HCP_VALIDATION', message: 'bad', detail: v.errors });
      const [status, json] = this.answer(v.value);
      return send(status, json);
    }
    send(404, { code: 'HCP_NOT_FOUND', message: 'no route' });
  }

  sessions(): SessionOpenRequest[] {
    return this.seen.filter((s) => s.method === 'POST').map((s) => s.body as SessionOpenRequest);
  }
}

const CLOCK = Date.UTC(2026, 10, 21, 2, 0, 0);

describe('BusinessSimulator against a recording HTTP server', () => {
  let hub: FakeHub;
  let url: string;
  const sims: BusinessSimulator[] = [];
  const make = (o: Partial<BusinessOptions> = {}): BusinessSimulator => {
    const s = new BusinessSimulator({ hubUrl: url, token: 'tok-123', ratePerSec: 1000, random: seededRandom(7), clock: () => CLOCK, ...o });
    sims.push(s);
    return s;
  };
  beforeEach(async () => {
    hub = new FakeHub();
    url = await hub.start();
  });
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
    await hub.stop();
  });

  it('opens valid sessions: windows with devices, assigned or listed active staff, single and batch cases, applicants', async () => {
    const sim = make({ batchShare: 0.3 });
    await sim.prepare();
    for (let i = 0; i < 60; i++) await sim.openOne();
    const posts = hub.seen.filter((s) => s.method === 'POST');
    expect(posts).toHaveLength(60);
    for (const p of posts) {
      expect(p.auth).toBe('Bearer tok-123');
      expect(validate(SessionOpenRequest, p.body).ok).toBe(true);
    }
    const sessions = hub.sessions();
    expect(new Set(sessions.map((s) => s.windowId))).toEqual(new Set(['w-01', 'w-02']));
    for (const s of sessions) {
      if (s.windowId === 'w-01') expect(s.staffId).toBe('staff-001');
      else expect(['staff-001', 'staff-002']).toContain(s.staffId);
      expect(s.servedAt).toBe('2026-11-21T02:00:00.000Z');
    }
    const caseCounts = sessions.map((s) => s.caseNumbers.length);
    expect(caseCounts).toContain(1);
    expect(Math.max(...caseCounts)).toBeGreaterThan(1);
    const allCases = sessions.flatMap((s) => s.caseNumbers);
    expect(new Set(allCases).size).toBe(allCases.length);
    for (const c of allCases) expect(c).toMatch(/^33010020261121[0-9A-Z]{4}\d{6}$/);
    for (const s of sessions) {
      const a = s.applicant;
      expect(a).toBeDefined();
      if (!a) continue;
      expect(a.phone).toMatch(/^1[3-9]\d{9}$/);
      if (a.idType === '111') {
        expect(a.userType).toBe('person');
        expect(isValidIdNumber(a.idNumber)).toBe(true);
        expect(a.name).toMatch(/^[\u4e00-\u9fa5]{2,4}$/);
      } else {
        expect([a.idType, a.userType]).toEqual(['001', 'enterprise']);
        expect(isValidUscc(a.idNumber)).toBe(true);
      }
    }
    const st = sim.stats();
    expect(st).toMatchObject({ attempted: 60, opened: 60, rejected: 0, failed: 0, inFlight: 0, cases: allCases.length });
    expect(st.batchSessions).toBe(caseCounts.filter((n) => n > 1).length);
  });

  it('replays the same requests from the same seed and clock', async () => {
    const a = make({ random: seededRandom(99) });
    const b = make({ random: seededRandom(99) });
    await a.prepare();
    await b.prepare();
    const ra = Array.from({ length: 10 }, () => a.nextRequest());
    const rb = Array.from({ length: 10 }, () => b.nextRequest());
    expect(ra).toEqual(rb);
  });

  it('runs at a rate until its limit, then finishes with every answer counted', async () => {
    const sim = make({ limit: 7, ratePerSec: 500, clock: Date.now });
    await sim.start();
    await sim.finished();
    expect(hub.sessions()).toHaveLength(7);
    expect(sim.stats()).toMatchObject({ attempted: 7, opened: 7, inFlight: 0 });
  });

  it('counts rejections and failures by code', async () => {
    let n = 0;
    hub.answer = () => {
      n++;
      if (n % 3 === 1) return [409, { code: 'HCP_WINDOW_NO_DEVICE', message: 'no device' }];
      if (n % 3 === 2) return [503, { code: 'HCP_UNAVAILABLE', message: 'down' }];
      return [201, { id: 's1' }];
    };
    const sim = make();
    await sim.prepare();
    for (let i = 0; i < 9; i++) await sim.openOne();
    expect(sim.stats()).toMatchObject({ opened: 3, rejected: 3, failed: 3, byCode: { HCP_WINDOW_NO_DEVICE: 3, HCP_UNAVAILABLE: 3 } });
    await hub.stop();
    const r = await sim.openOne();
    expect(r.kind).toBe('failed');
    expect(sim.stats().failed).toBe(4);
  });

  it('reads wrapped lists, and uses flags instead of the hub when given', async () => {
    hub.windows = { items: [{ id: 'w-09', staffId: null }] };
    hub.staff = { staff: [{ id: 'staff-009' }] };
    const sim = make();
    await sim.prepare();
    await sim.openOne();
    expect(hub.sessions()[0]).toMatchObject({ windowId: 'w-09', staffId: 'staff-009' });

    hub.seen = [];
    const flagged = make({ windows: ['w-42'], staff: ['staff-042'] });
    await flagged.prepare();
    await flagged.openOne();
    expect(hub.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/sessions']);
    expect(hub.sessions()[0]).toMatchObject({ windowId: 'w-42', staffId: 'staff-042' });
  });

  it('says clearly when the hub cannot list windows or staff', async () => {
    hub.windows = { nope: true };
    await expect(make().prepare()).rejects.toBeInstanceOf(HubListError);
    hub.windows = [{ id: 'w-01', staffId: null }];
    hub.staff = [];
    await expect(make().prepare()).rejects.toThrow(/--staff/);
    await expect(make({ ratePerSec: 0 }).prepare()).rejects.toThrow(/ratePerSec/);
  });
});
