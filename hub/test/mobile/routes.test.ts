/**
 * The phone rating page and API through inject() against a real hub (SQLite file, broker, fake
 * clock): links (valid, tampered, expired), the page content (no applicant data), coded 400s with
 * fields, exactly-once by submissionId (double submit, concurrent submit, reused key), one first
 * rating per session across device and phone, the follow-up window, cancelled sessions, the rate
 * limit, and the metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRating, type Rating, type SessionOpenRequest } from '@hcp/protocol';
import { FakeClock, provisionDevice, startTestHub, tokenFor, type TestHub } from '../helpers/hub.js';
import { call } from '../helpers/http.js';
import { DevicePublisher, makeRating } from '../helpers/publisher.js';
import { signRateToken } from '../../src/sessions/rate-link.js';
import { mobileSigningKey, verifyMobileRating } from '../../src/mobile/mobile.js';
import { WorkingCalendar } from '../../src/forward/calendar.js';
import type { MobileView } from '../../src/mobile/mobile.js';

const APPLICANT = { name: '张三丰', idType: '111', idNumber: '330106199001011234', phone: '13800138000', userType: 'person' as const };
// Wednesday 2026-11-18 10:00 China time: a working day, inside opening hours
const START = Date.parse('2026-11-18T02:00:00.000Z');

const dataOf = (html: string): MobileView => {
  const m = /<script type="application\/json" id="m-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no data block');
  return JSON.parse(m[1]!) as MobileView;
};

let seq = 0;
const key = (): string => `k-${process.pid}-${++seq}-abcdefghijklmnop`;

describe('mobile rating page', () => {
  let t: TestHub;
  const clock = new FakeClock(START);
  let business: string;
  let dev: DevicePublisher;
  let caseSeq = 0;

  const openSession = async (over: Partial<SessionOpenRequest> = {}): Promise<{ id: string; token: string }> => {
    const body: SessionOpenRequest = {
      windowId: 'w-01', caseNumbers: [`330100-2026-M${++caseSeq}`], item: { code: '330100-000-XK-001', name: '食品经营许可证核发' },
      staffId: 'staff-007', applicant: APPLICANT, ...over,
    };
    const res = await call(t.hub, 'POST', '/api/sessions', { token: business, body });
    expect(res.status).toBe(201);
    const id = res.json<{ id: string }>().id;
    // the same link the device gets in session.start (sessions.ts): session expiry + 7 days
    return { id, token: signRateToken(id, clock.now() + t.hub.config.sessionTtlS * 1000 + 7 * 86_400_000, t.hub.secrets.linkKey) };
  };
  const rate = (token: string, body: Record<string, unknown>) => call(t.hub, 'POST', `/api/m/r/${token}/ratings`, { body });
  const ratingsOf = (sessionId: string): Rating[] =>
    (t.hub.db.prepare('SELECT body FROM ratings WHERE session_id = ? ORDER BY rowid').all(sessionId) as { body: string }[]).map((r) => JSON.parse(r.body) as Rating);

  beforeAll(async () => {
    t = await startTestHub({ publicUrl: 'http://hub.local:8080', mobile: { ratePerMin: 1000 } }, { clock });
    const p = provisionDevice(t.hub, 'w-01');
    dev = await new DevicePublisher(p).connect();
    business = await tokenFor(t.hub, 'business');
    t.hub.services.deviceSettings.setIndicators({
      version: '2026.11', items: [{ code: '501', name: '服务态度差', group: '服务态度' }, { code: '510', name: '办事效率低', group: '服务效率' }, { code: '517', name: '未一次告知', group: '服务效率' }],
    }, new Date(clock.now()).toISOString());
  });
  afterAll(async () => {
    await dev?.close();
    await t?.stop();
  });

  it('serves the page with item, window and staff, strict CSP, and no applicant data or case numbers', async () => {
    const s = await openSession();
    const res = await call(t.hub, 'GET', `/m/r/${s.token}`);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/text\/html/);
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(res.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const html = String(res.body);
    expect(html).toContain('食品经营许可证核发');
    expect(html).toContain('w-01 窗口');
    expect(html).toContain('王晓燕');
    for (const secret of [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone, '张**', `330100-2026-M${caseSeq}`]) expect(html).not.toContain(secret);
    expect(html).not.toMatch(/<script(?![^>]*(src="\/m\/rate\.js"|type="application\/json"))/);
    const v = dataOf(html);
    expect(v).toMatchObject({ next: 'first', first: null, item: { name: '食品经营许可证核发' }, staff: { name: '王晓燕', number: 'A0107' } });
    expect(v.levels.map((l) => `${l.level} ${l.name}`)).toEqual(['5 非常满意', '4 满意', '3 基本满意', '2 不满意', '1 非常不满意']);
    expect(v.indicators).toMatchObject({ version: '2026.11', items: [{ code: '501' }, { code: '510' }, { code: '517' }] });
    expect(v.aspects.map((a) => a.name)).toEqual(['服务态度', '服务效率', '一次告知', '业务熟练度']);
    const api = await call(t.hub, 'GET', `/api/m/r/${s.token}`);
    expect(api.status).toBe(200);
    expect(JSON.stringify(api.body)).not.toContain(APPLICANT.name);
    for (const asset of ['/m/rate.js', '/m/rate.css']) expect((await call(t.hub, 'GET', asset)).status).toBe(200);
    expect((await call(t.hub, 'GET', '/m/other.js')).status).toBe(404);
  });

  it('answers invalid, tampered and expired links with a Chinese page naming the code (HTML) or the coded error (API)', async () => {
    const s = await openSession();
    for (const bad of ['nonsense', `${s.token.split('.')[0]}.${'A'.repeat(43)}`, `${s.token}x`, 'a.b.c']) {
      const res = await call(t.hub, 'GET', `/m/r/${encodeURIComponent(bad)}`);
      expect(res.status).toBe(404);
      expect(String(res.body)).toContain('评价链接无效');
      expect(String(res.body)).toContain('HCP_RATE_LINK_INVALID');
      expect((await call(t.hub, 'GET', `/api/m/r/${encodeURIComponent(bad)}`)).json()).toMatchObject({ code: 'HCP_RATE_LINK_INVALID' });
      expect((await rate(encodeURIComponent(bad), { submissionId: key(), assessNumber: 1, level: 5 })).json()).toMatchObject({ code: 'HCP_RATE_LINK_INVALID' });
    }
    // a genuine link for a session this hub does not hold
    const foreign = signRateToken('s-00000000-0000-7000-8000-000000000000', clock.now() + 60_000, t.hub.secrets.linkKey);
    expect((await call(t.hub, 'GET', `/m/r/${foreign}`)).status).toBe(404);
    const expired = signRateToken(s.id, clock.now() - 1, t.hub.secrets.linkKey);
    const page = await call(t.hub, 'GET', `/m/r/${expired}`);
    expect(page.status).toBe(410);
    expect(String(page.body)).toContain('评价链接已过期');
    expect(String(page.body)).toContain('HCP_RATE_LINK_EXPIRED');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
    const post = await rate(expired, { submissionId: key(), assessNumber: 1, level: 5 });
    expect(post.status).toBe(410);
    expect(post.json()).toMatchObject({ code: 'HCP_RATE_LINK_EXPIRED' });
    expect(ratingsOf(s.id)).toHaveLength(0);
  });

  it('refuses bad bodies with 400 and the fields: schema, unknown indicators and aspects, 差评 without a reason', async () => {
    const s = await openSession();
    const noFields = await rate(s.token, { level: 9, extra: 1 });
    expect(noFields.status).toBe(400);
    const fields = noFields.json<{ code: string; detail: { errors: { field: string }[] } }>();
    expect(fields.code).toBe('HCP_VALIDATION');
    expect(fields.detail.errors.map((e) => e.field).join(' ')).toMatch(/submissionId|level|assessNumber|extra/);
    expect((await rate(s.token, { submissionId: 'short', assessNumber: 1, level: 5 })).json<{ detail: { errors: { field: string }[] } }>().detail.errors[0]!.field).toBe('/submissionId');
    const unknown = await rate(s.token, { submissionId: key(), assessNumber: 1, level: 2, indicators: ['501', '999'], subScores: { speed: 3 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json<{ detail: { errors: { field: string }[] } }>().detail.errors.map((e) => e.field)).toEqual(['/indicators/1', '/subScores/speed']);
    const noReason = await rate(s.token, { submissionId: key(), assessNumber: 1, level: 1, text: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.json<{ code: string; detail: { errors: { field: string }[] } }>()).toMatchObject({ code: 'HCP_BAD_REVIEW_NEEDS_REASON', detail: { errors: [{ field: '/indicators' }, { field: '/text' }] } });
    expect(ratingsOf(s.id)).toHaveLength(0);
  });

  it('stores a first rating once: channel 3, origin mobile, signed by the hub, session rated; double and concurrent submits store one', async () => {
    const s = await openSession();
    const body = { submissionId: key(), assessNumber: 1, level: 2, indicators: ['501', '510'], subScores: { attitude: 2, efficiency: 1 }, text: '等了很久，态度也不好' };
    const first = await rate(s.token, body);
    expect(first.status).toBe(201);
    const r1 = first.json<{ ratingId: string; assessNumber: number; duplicate: boolean; view: MobileView }>();
    expect(r1).toMatchObject({ assessNumber: 1, level: 2, duplicate: false, view: { next: 'follow-up', first: { level: 2, channel: '二维码', origin: 'mobile' } } });
    const again = await rate(s.token, body);
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ ratingId: r1.ratingId, duplicate: true });
    const stored = ratingsOf(s.id);
    expect(stored).toHaveLength(1);
    const r = stored[0]!;
    expect(r).toMatchObject({
      id: r1.ratingId, channel: 3, origin: 'mobile', assessNumber: 1, level: 2, indicators: ['501', '510'], indicatorVersion: '2026.11',
      subScores: { attitude: 2, efficiency: 1 }, text: '等了很久，态度也不好', sessionId: s.id, windowId: 'w-01', deviceId: dev.creds.deviceId,
      caseNumbers: [`330100-2026-M${caseSeq}`], staffId: 'staff-007', clock: { trusted: true, source: 'hub' }, givenAt: new Date(clock.now()).toISOString(),
    });
    expect(verifyMobileRating(r, t.hub.secrets.linkKey)).toBe(true);
    expect(verifyRating({ ...r, level: 5 }, mobileSigningKey(t.hub.secrets.linkKey))).toBe(false);
    expect(verifyRating(r, dev.creds.signingKey)).toBe(false); // not passed off as the device's
    expect(t.hub.services.sessions.get(s.id)).toMatchObject({ outcome: 'rated', ratingId: r1.ratingId });
    // the same key for a different answer is refused, and stores nothing
    const reused = await rate(s.token, { ...body, level: 5 });
    expect(reused.status).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'HCP_CONFLICT', detail: { field: '/submissionId' } });

    // two submits in flight at once with one key: one stored, the other answered as the duplicate
    const s2 = await openSession();
    const b2 = { submissionId: key(), assessNumber: 1, level: 5 };
    const both = await Promise.all([rate(s2.token, b2), rate(s2.token, b2)]);
    expect(both.map((x) => x.status).sort()).toEqual([200, 201]);
    expect(ratingsOf(s2.id)).toHaveLength(1);
  });

  it('allows one first rating per session: after a device rating or a phone rating the page says so and a new first is refused', async () => {
    const s = await openSession();
    await dev.waitFor(() => dev.commands('session.start').some((c) => c.args.sessionId === s.id), 10_000, 'session.start');
    const byDevice = makeRating(dev.creds, { sessionId: s.id, caseNumbers: [`330100-2026-M${caseSeq}`], origin: 'session', level: 4, givenAt: new Date(clock.now()).toISOString() });
    await dev.publishRatings([byDevice]);
    expect((await dev.waitAcks([byDevice.id]))[0]!.result).toBe('stored');
    const page = await call(t.hub, 'GET', `/m/r/${s.token}`);
    expect(page.status).toBe(200);
    expect(dataOf(String(page.body))).toMatchObject({ next: 'follow-up', first: { level: 4, channel: '政务大厅其他终端', origin: 'session' } });
    const refused = await rate(s.token, { submissionId: key(), assessNumber: 1, level: 5 });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'HCP_SESSION_ALREADY_RATED' });
    // a follow-up before any first rating is refused too
    const fresh = await openSession();
    expect((await rate(fresh.token, { submissionId: key(), assessNumber: 2, level: 3 })).json()).toMatchObject({ code: 'HCP_FOLLOWUP_NOT_ALLOWED', detail: { reason: 'no-first-rating' } });
    expect(ratingsOf(s.id)).toHaveLength(1);
  });

  it('accepts one 追加 follow-up within the configured working days after the service, recorded as assessNumber 2', async () => {
    const s = await openSession();
    expect((await rate(s.token, { submissionId: key(), assessNumber: 1, level: 4 })).status).toBe(201);
    const view = (await call(t.hub, 'GET', `/api/m/r/${s.token}`)).json<MobileView>();
    // served Wednesday 10:00 → 5 working days → closes the following Thursday 00:00 China time; the link (7 days) is sooner
    const cal = WorkingCalendar.china();
    const linkEnd = clock.now() + t.hub.config.sessionTtlS * 1000 + 7 * 86_400_000;
    expect(Date.parse(view.followUpUntil!)).toBe(Math.min(cal.deadline(clock.now(), 5), linkEnd));
    clock.advance(2 * 86_400_000);
    const fu = await rate(s.token, { submissionId: key(), assessNumber: 2, level: 2, text: '回家后发现少告知了一项材料' });
    expect(fu.status).toBe(201);
    expect(fu.json()).toMatchObject({ assessNumber: 2, view: { next: 'none', closedReason: 'followed-up', followUp: { level: 2 } } });
    const rows = ratingsOf(s.id);
    expect(rows.map((r) => [r.assessNumber, r.level, r.channel])).toEqual([[1, 4, 3], [2, 2, 3]]);
    const second = await rate(s.token, { submissionId: key(), assessNumber: 2, level: 1, text: '再追加' });
    expect(second.status).toBe(409);
    expect(second.json()).toMatchObject({ code: 'HCP_FOLLOWUP_NOT_ALLOWED', detail: { reason: 'followed-up' } });

    // a service 10 days ago: the first rating is still welcome (the link is fresh), the follow-up window has closed
    const old = await openSession({ servedAt: new Date(clock.now() - 10 * 86_400_000).toISOString() });
    expect((await rate(old.token, { submissionId: key(), assessNumber: 1, level: 5 })).status).toBe(201);
    const closed = await rate(old.token, { submissionId: key(), assessNumber: 2, level: 3 });
    expect(closed.status).toBe(409);
    expect(closed.json()).toMatchObject({ code: 'HCP_FOLLOWUP_NOT_ALLOWED', detail: { reason: 'follow-up-window-closed' } });
    expect(dataOf(String((await call(t.hub, 'GET', `/m/r/${old.token}`)).body))).toMatchObject({ next: 'none', closedReason: 'follow-up-window-closed' });
    expect(ratingsOf(old.id)).toHaveLength(1);
  });

  it('refuses a cancelled session with its own code and page', async () => {
    const s = await openSession();
    expect((await call(t.hub, 'POST', `/api/sessions/${s.id}/cancel`, { token: business, body: { reason: '办件撤回' } })).status).toBe(200);
    const page = await call(t.hub, 'GET', `/m/r/${s.token}`);
    expect(page.status).toBe(409);
    expect(String(page.body)).toContain('HCP_SESSION_CANCELLED');
    expect((await rate(s.token, { submissionId: key(), assessNumber: 1, level: 5 })).json()).toMatchObject({ code: 'HCP_SESSION_CANCELLED' });
  });

  it('counts pages and ratings in /metrics', async () => {
    const m = String((await call(t.hub, 'GET', '/metrics')).body);
    expect(m).toMatch(/hcp_hub_mobile_ratings_total\{assess="1",result="stored"\} [1-9]/);
    expect(m).toMatch(/hcp_hub_mobile_ratings_total\{assess="1",result="duplicate"\} [1-9]/);
    expect(m).toMatch(/hcp_hub_mobile_ratings_total\{assess="2",result="stored"\} [1-9]/);
    expect(m).toMatch(/hcp_hub_mobile_ratings_total\{assess="n\/a",result="HCP_SESSION_ALREADY_RATED"\} [1-9]/);
    expect(m).toMatch(/hcp_hub_mobile_pages_total\{result="HCP_RATE_LINK_EXPIRED"\} [1-9]/);
    expect(m).toMatch(/hcp_hub_mobile_pages_total\{result="ok"\} [1-9]/);
  });
});

describe('mobile rate limit', () => {
  let t: TestHub;
  afterAll(async () => {
    await t?.stop();
  });
  it('refuses a client beyond mobile.ratePerMin with 429: a Chinese page, or the coded JSON error', async () => {
    t = await startTestHub({ mobile: { ratePerMin: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await call(t.hub, 'GET', '/m/r/whatever')).status);
    expect(codes).toEqual([404, 404, 404, 429]);
    const page = await call(t.hub, 'GET', '/m/r/whatever');
    expect(String(page.body)).toContain('请求过于频繁');
    expect(String(page.body)).toContain('HCP_RATE_LIMITED');
    for (let i = 0; i < 3; i++) await call(t.hub, 'POST', '/api/m/r/whatever/ratings', { body: {} });
    const api = await call(t.hub, 'POST', '/api/m/r/whatever/ratings', { body: {} });
    expect(api.status).toBe(429);
    expect(api.json()).toMatchObject({ code: 'HCP_RATE_LIMITED' });
    expect(String((await call(t.hub, 'GET', '/metrics')).body)).toMatch(/hcp_hub_mobile_rate_limited_total [1-9]/);
  });
});
