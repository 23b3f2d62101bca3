/** When the inbox commits: a window for company, a minimum interval between commits, a full batch at once. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import pino from 'pino';
import { DeviceInbox } from '../../src/inbox/inbox.js';
import { Metrics } from '../../src/metrics.js';
import { systemClock } from '../../src/clock.js';

describe('DeviceInbox commit schedule', () => {
  let db: Database.Database;
  let metrics: Metrics;
  let inbox: DeviceInbox;
  let handled: number[];
  const topic = (n: number): string => `hcp/v1/hall-1/dev-aaaa${String(1000 + n)}/telemetry`;
  const commits = (): number => metrics.value('hcp_hub_inbox_commits_total');

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    db = new Database(':memory:');
    metrics = new Metrics();
    handled = [];
    inbox = new DeviceInbox(db, systemClock, pino({ level: 'silent' }), metrics, { maxBatch: 5, batchWindowMs: 4, minCommitIntervalMs: 20 });
    inbox.handle('telemetry', (_ctx, a) => handled.push(Number(a.deviceId.slice(-4)) - 1000));
  });
  afterEach(async () => {
    await inbox.stop();
    db.close();
    vi.useRealTimers();
  });

  it('the first message waits the window; the next commit keeps the minimum interval; a full batch goes at once', () => {
    inbox.push(topic(1), Buffer.from('{}'));
    vi.advanceTimersByTime(3);
    expect(commits()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(commits()).toBe(1); // 4 ms window

    inbox.push(topic(2), Buffer.from('{}')); // right after that commit started
    vi.advanceTimersByTime(19);
    expect(commits()).toBe(1); // the window has passed, the interval not yet
    vi.advanceTimersByTime(1);
    expect(commits()).toBe(2); // 20 ms after the previous one started

    vi.advanceTimersByTime(100); // long quiet: the window alone applies again
    inbox.push(topic(3), Buffer.from('{}'));
    vi.advanceTimersByTime(4);
    expect(commits()).toBe(3);

    for (let i = 4; i < 9; i++) inbox.push(topic(i), Buffer.from('{}')); // maxBatch 5, 1 ms after a commit
    expect(commits()).toBe(4);
    expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
