/**
 * Export internals on a real hub database: the ratings source pages through a large range in
 * time order, merging stored and default ratings, without holding the database busy between
 * pages; CSV cells are escaped and defused; masking helpers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, tempDir } from '../forward/helpers.js';
import type { Db } from '../../src/db/db.js';
import { csvChunks, csvLine, ratingRecordPages, type RatingRecord } from '../../src/stats/export.js';
import { maskApplicant, maskFreeText } from '../../src/stats/mask.js';
import { rangeInstants } from '../../src/stats/period.js';
import { parseCsv } from './helpers.js';

describe('rating export source', () => {
  const t = tempDir();
  let db: Db;
  const N = 1234;
  const D = 567;

  beforeAll(async () => {
    db = await openTestDb(t.dir);
    const now = '2026-11-01T00:00:00.000Z';
    db.prepare("INSERT INTO halls (id, name, created_at, updated_at) VALUES ('hall-1', 'h', ?, ?)").run(now, now);
    db.prepare("INSERT INTO windows (id, hall_id, name, created_at, updated_at) VALUES ('w-01', 'hall-1', '一号窗', ?, ?)").run(now, now);
    const ins = db.prepare(`INSERT INTO ratings (id, hall_id, device_id, window_id, session_id, level, given_at, corrected_given_at, clock_trusted, boot_id, mono_ms, flags, seq, received_at, body)
      VALUES (?, 'hall-1', 'dev-1', 'w-01', NULL, ?, ?, NULL, 1, 'b', 1, '[]', ?, ?, ?)`);
    const dec = db.prepare("INSERT INTO forward_default_decisions (session_id, rating_id, result, cases, decided_ms) VALUES (?, ?, 'sent', 1, 0)");
    const pay = db.prepare("INSERT INTO forward_payloads (rating_id, source, context) VALUES (?, ?, '{}')");
    const base = Date.parse('2026-11-10T00:00:00.000Z');
    db.transaction(() => {
      // ratings every 61 s, defaults every 127 s: the two sources interleave unevenly; a few share an instant
      for (let i = 0; i < N; i++) {
        const at = new Date(base + i * 61_000).toISOString();
        const id = `r-${String(i).padStart(5, '0')}`;
        ins.run(id, 1 + (i % 5), at, i + 1, at, JSON.stringify({ caseNumbers: [`C${i}`], staffId: null, itemCode: null, assessNumber: 1, channel: 5, origin: 'staff-key', flags: [] }));
      }
      for (let i = 0; i < D; i++) {
        const at = new Date(base + i * 127_000).toISOString();
        const id = `d-${String(i).padStart(5, '0')}`;
        dec.run(`s-${i}`, id);
        pay.run(id, JSON.stringify({ id, caseNumbers: [`S${i}`], level: 4, origin: 'default', flags: ['default-rating'], givenAt: at, windowId: 'w-01', sessionId: null, assessNumber: 1 }));
      }
    })();
  });
  afterAll(() => {
    db.close();
    t.cleanup();
  });

  it('pages through both sources in time order, each record once, the database free between pages', async () => {
    const deps = { db, applicant: () => null, indicatorName: () => null };
    const seen: RatingRecord[] = [];
    let pages = 0;
    for await (const page of ratingRecordPages(deps, rangeInstants('2026-11-10', '2026-11-12'), 100)) {
      pages++;
      expect(page.length).toBeLessThanOrEqual(100);
      seen.push(...page);
      // another statement runs while the export is half way: no open cursor holds the connection
      db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('x', 'test', 'between-pages')").run();
    }
    expect(seen).toHaveLength(N + D);
    expect(pages).toBe(Math.ceil((N + D) / 100));
    expect(new Set(seen.map((r) => r.id)).size).toBe(N + D);
    const keys = seen.map((r) => `${r.at}|${r.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(seen.filter((r) => r.isDefault === '是')).toHaveLength(D);
    expect(seen[0]).toMatchObject({ at: '2026-11-10 08:00:00', windowName: '一号窗' });
  });

  it('limits to the range: local days from..to in UTC+8', async () => {
    const deps = { db, applicant: () => null, indicatorName: () => null };
    let n = 0;
    // 2026-11-10 local ends at 16:00Z: ratings 0..944 (i*61 s < 57,600 s) and defaults 0..453
    for await (const page of ratingRecordPages(deps, rangeInstants('2026-11-10', '2026-11-10'), 250)) n += page.length;
    expect(n).toBe(Math.ceil(57_600 / 61) + Math.ceil(57_600 / 127));
  });
});

describe('CSV and masking', () => {
  it('escapes quotes, commas and line breaks, and defuses formulas', () => {
    const line = csvLine(['a,b', 'say "hi"', 'two\nlines', '=HYPERLINK("x")', '-1+1', '@cmd', 12, null]);
    expect(parseCsv(line)).toEqual([['a,b', 'say "hi"', 'two\nlines', "'=HYPERLINK(\"x\")", "'-1+1", "'@cmd", '12', '']]);
  });

  it('writes a BOM, the header and the rows', async () => {
    let text = '';
    const pages = (async function* () { yield [{ v: 1 }, { v: 2 }]; })();
    for await (const c of csvChunks([{ header: '值', width: 1, value: (r: { v: number }) => r.v }], pages)) text += c;
    expect(text).toBe('\uFEFF值\r\n1\r\n2\r\n');
  });

  it('masks applicant fields and digit runs in free text', () => {
    expect(maskApplicant({ name: '欧阳娜娜', idNumber: '11010119900307123X', phone: '138-1234-5678' })).toEqual({ name: '欧***', idNumber: '110***********123X', phone: '138****5678' });
    expect(maskApplicant({ name: '李', idNumber: '12345' })).toEqual({ name: '*', idNumber: '*****', phone: '' });
    expect(maskFreeText('电话13912345678，身份证11010119900307123X，等了30分钟')).toBe('电话139****5678，身份证110***********123X，等了30分钟');
  });
});
