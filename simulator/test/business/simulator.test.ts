import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionOpenRequest, validate } from '@hcp/protocol';
import { isValidIdNumber, isValidUscc } from '../../src/business/idcard.js';
import { HubListError } from '../../src/business/hub-client.js';
import { seededRandom } from '../../src/business/random.js';
import { BusinessSimulator, type BusinessOptions } from '../../src/business/simulator.js';
import { FakeHub } from './fake-hub.js';

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

  it('keeps a gap between sessions on one window when the rate timer runs', async () => {
    let now = CLOCK;
    const sim = make({ windowGapMs: 60_000, clock: () => now });
    await sim.prepare();
    const first = [sim.nextRequest(), sim.nextRequest()].map((r) => r.windowId).sort();
    expect(first).toEqual(['w-01', 'w-02']); // the second pick avoids the busy window
    now += 59_999;
    expect(sim['freeWindows']()).toHaveLength(0);
    now += 1;
    expect(sim['freeWindows']().map((w) => w.id).sort()).toEqual(['w-01', 'w-02']);
  });

  it('counts rejections and failures by code', async () => {
    let n = 0;
    hub.answer = () => {
      n++;
      if (n % 3 === 1) return [409, { code: 'HCP_WINDOW_NO_DEVICE', message: 'no device' }];
      if (n % 3 === 2) return n === 5 ? [429, { code: 'HCP_RATE_LIMITED', message: 'slow' }] : [503, { code: 'HCP_UNAVAILABLE', message: 'down' }];
      return [201, { id: 's1' }];
    };
    const sim = make();
    await sim.prepare();
    for (let i = 0; i < 9; i++) await sim.openOne();
    expect(sim.stats()).toMatchObject({ opened: 3, rejected: 3, failed: 3, byCode: { HCP_WINDOW_NO_DEVICE: 3, HCP_UNAVAILABLE: 2, HCP_RATE_LIMITED: 1 } });
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

  it('lists with a reading token and opens sessions with the business token', async () => {
    hub.listToken = 'read-tok';
    await expect(make().prepare()).rejects.toThrow(/HTTP 403 HCP_FORBIDDEN.*--list-token/);
    const sim = make({ listToken: 'read-tok' });
    await sim.prepare();
    await sim.openOne();
    expect(hub.seen.filter((s) => s.method === 'GET' && s.auth === 'Bearer read-tok').map((s) => s.url).sort()).toEqual(['/api/staff', '/api/windows']);
    expect(hub.seen.filter((s) => s.method === 'POST').map((s) => s.auth)).toEqual(['Bearer tok-123']);
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
