import { describe, expect, it } from 'vitest';
import type { IndicatorList } from '@hcp/protocol';
import { initialMachine, nextDeadline, transition, type Machine, type SessionEvent, type SessionInfo, type SessionSettings } from '../../src/session/machine.js';

const cfg: SessionSettings = { responseIntervalMs: 1000, promptTimeoutS: 60, reasonTimeoutS: 20, thanksS: 3, badReviewWithoutReason: 'accept-flagged', walkUp: 'refuse' };
const list: IndicatorList = { version: 'v1', items: [{ code: 'A01', name: '态度差' }, { code: 'A02', name: '效率低' }] };
const session = (id = 's-1', cases = ['C1']): SessionInfo => ({
  origin: 'session', sessionId: id, caseNumbers: cases, staff: { id: 'st-1', name: '张三', number: '001' }, item: { code: 'T1', name: '营业执照' }, rateUrl: 'https://hub/r/1',
});

function run(events: [SessionEvent, number][], c: SessionSettings = cfg, m0: Machine = initialMachine) {
  let m = m0;
  const effects = [];
  for (const [ev, now] of events) {
    const t = transition(m, ev, now, c, list);
    m = t.machine;
    effects.push(...t.effects);
  }
  return { m, effects };
}

describe('session machine', () => {
  it('session → prompt → star 5 → commit then thanks → idle after thanksS', () => {
    const { m, effects } = run([
      [{ type: 'session.start', session: session() }, 0],
      [{ type: 'star', level: 5, ratingId: 'r1' }, 100],
    ]);
    expect(m.state.kind).toBe('thanks');
    expect(effects[0]).toMatchObject({ kind: 'commit', draft: { id: 'r1', level: 5, indicators: [], flags: [] } });
    expect(effects[1]).toEqual({ kind: 'ended', sessionId: 's-1', outcome: 'rated', ratingId: 'r1' });
    expect(nextDeadline(m.state)).toBe(3100);
    expect(transition(m, { type: 'tick', ratingId: 'x' }, 3099, cfg, list).machine.state.kind).toBe('thanks');
    expect(transition(m, { type: 'tick', ratingId: 'x' }, 3100, cfg, list).machine.state.kind).toBe('idle');
  });

  it('one rating per session: a second star during thanks is ignored and counted', () => {
    const { m, effects } = run([
      [{ type: 'session.start', session: session() }, 0],
      [{ type: 'star', level: 4, ratingId: 'r1' }, 100],
      [{ type: 'star', level: 1, ratingId: 'r2' }, 5000],
    ]);
    expect(m.state.kind).toBe('thanks');
    expect(effects.filter((e) => e.kind === 'commit')).toHaveLength(1);
    expect(effects.at(-1)).toEqual({ kind: 'ignored', reason: 'already-rated' });
  });

  it('presses inside the response interval are ignored', () => {
    const { effects } = run([
      [{ type: 'session.start', session: session() }, 0],
      [{ type: 'star', level: 2, ratingId: 'r1' }, 100],
      [{ type: 'star', level: 1, ratingId: 'r2' }, 600],
    ]);
    expect(effects).toEqual([{ kind: 'ignored', reason: 'interval' }]);
  });

  it('a 差评 goes to reasons; only known reasons commit', () => {
    const { m, effects } = run([
      [{ type: 'session.start', session: session('s-2', ['C1', 'C2']) }, 0],
      [{ type: 'star', level: 1, ratingId: 'r1' }, 10],
      [{ type: 'reason', codes: ['ZZZ'], ratingId: 'r2' }, 20],
      [{ type: 'reason', codes: ['A02', 'A02', 'ZZZ'], ratingId: 'r3' }, 30],
    ]);
    expect(m.state.kind).toBe('thanks');
    expect(effects[0]).toEqual({ kind: 'ignored', reason: 'unknown-reason' });
    expect(effects[1]).toMatchObject({ kind: 'commit', draft: { id: 'r3', level: 1, indicators: ['A02'], session: { caseNumbers: ['C1', 'C2'] } } });
  });

  it('reasons timeout: accept-flagged records a flagged rating; discard records a timed-out session', () => {
    const start: [SessionEvent, number][] = [
      [{ type: 'session.start', session: session() }, 0],
      [{ type: 'star', level: 2, ratingId: 'r1' }, 10],
      [{ type: 'tick', ratingId: 'r9' }, 10 + 20_000],
    ];
    const a = run(start);
    expect(a.effects[0]).toMatchObject({ kind: 'commit', draft: { id: 'r9', level: 2, flags: ['no-reason-timeout'] } });
    const d = run(start, { ...cfg, badReviewWithoutReason: 'discard' });
    expect(d.m.state.kind).toBe('idle');
    expect(d.effects).toEqual([{ kind: 'ended', sessionId: 's-1', outcome: 'timed-out' }]);
  });

  it('a session ends at the earlier of its expiry and the prompt timeout', () => {
    const t = transition(initialMachine, { type: 'session.start', session: session(), timeoutMs: 5000 }, 100, cfg, list);
    expect(nextDeadline(t.machine.state)).toBe(5100);
    const u = transition(initialMachine, { type: 'session.start', session: session(), timeoutMs: 10_000_000 }, 100, cfg, list);
    expect(nextDeadline(u.machine.state)).toBe(60_100);
  });

  it('prompt timeout ends the session as timed-out', () => {
    const { m, effects } = run([
      [{ type: 'session.start', session: session() }, 0],
      [{ type: 'tick', ratingId: 'x' }, 60_000],
    ]);
    expect(m.state.kind).toBe('idle');
    expect(effects).toEqual([{ kind: 'ended', sessionId: 's-1', outcome: 'timed-out' }]);
  });

  it('walk-up: refused by default, accepted and flagged when allowed', () => {
    expect(run([[{ type: 'star', level: 5, ratingId: 'r1' }, 0]]).effects).toEqual([{ kind: 'ignored', reason: 'no-session' }]);
    const { effects } = run([[{ type: 'star', level: 5, ratingId: 'r1' }, 0]], { ...cfg, walkUp: 'accept-flagged' });
    expect(effects[0]).toMatchObject({ kind: 'commit', draft: { flags: ['walk-up'], session: { origin: 'walk-up', sessionId: null } } });
  });

  it('staff key starts a staff-key session; a new hub session supersedes an open one', () => {
    const staff = { id: 'st-9', name: '李四', number: '009' };
    const a = run([[{ type: 'staff-key', staff }, 0]]);
    expect(a.m.state).toMatchObject({ kind: 'prompt', session: { origin: 'staff-key', staff } });
    const b = run([
      [{ type: 'session.start', session: session('s-1') }, 0],
      [{ type: 'session.start', session: session('s-2') }, 10],
    ]);
    expect(b.effects).toEqual([{ kind: 'ended', sessionId: 's-1', outcome: 'superseded' }]);
  });

  it('cancel ends only the named session', () => {
    const a = run([
      [{ type: 'session.start', session: session('s-1') }, 0],
      [{ type: 'session.cancel', sessionId: 'other' }, 5],
      [{ type: 'session.cancel', sessionId: 's-1' }, 10],
    ]);
    expect(a.m.state.kind).toBe('idle');
    expect(a.effects).toEqual([{ kind: 'ended', sessionId: 's-1', outcome: 'cancelled' }]);
  });

  it('storage full: refusing, new sessions refused, presses ignored; storage ok → idle', () => {
    const a = run([
      [{ type: 'storage', ok: false }, 0],
      [{ type: 'session.start', session: session() }, 1],
      [{ type: 'star', level: 5, ratingId: 'r' }, 2],
    ]);
    expect(a.m.state.kind).toBe('refusing');
    expect(a.effects).toEqual([{ kind: 'refused', code: 'HCP_OUTBOX_DISK_FULL' }, { kind: 'ignored', reason: 'refusing' }]);
    expect(transition(a.m, { type: 'storage', ok: true }, 3, cfg, list).machine.state.kind).toBe('idle');
  });
});
