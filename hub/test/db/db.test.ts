import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrations, migrate, openDb } from '../../src/db/db.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hcp-db-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('database and migrations', () => {
  it('opens in WAL with synchronous=FULL', () => {
    const db = openDb(join(tmp(), 'a.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('applies the real migrations in numeric order once, recorded in schema_migrations', async () => {
    const db = openDb(join(tmp(), 'a.db'));
    const first = await migrate(db);
    expect(first[0]).toBe('001_core');
    const versions = listMigrations().map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(await migrate(db)).toEqual([]);
    expect((db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)).toEqual(versions);
    db.close();
  });

  it('runs .sql and .ts migrations in order, each in a transaction: a failing one leaves no trace and stops the run', async () => {
    const dir = tmp();
    writeFileSync(join(dir, '002_b.sql'), 'CREATE TABLE b (x); INSERT INTO b VALUES (1);');
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x);');
    writeFileSync(join(dir, '010_c.ts'), "export function up(db) { db.exec('CREATE TABLE c (x)'); }");
    writeFileSync(join(dir, '011_bad.sql'), 'CREATE TABLE d (x); THIS IS NOT SQL;');
    writeFileSync(join(dir, 'README.md'), 'ignored');
    const db = openDb(join(tmp(), 'b.db'));
    await expect(migrate(db, [dir])).rejects.toThrow();
    expect((db.prepare('SELECT name FROM schema_migrations ORDER BY version').all() as { name: string }[]).map((r) => r.name)).toEqual(['001_a', '002_b', '010_c']);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'd'").get()).toBeUndefined();
    db.close();
  });

  it('refuses two migrations with the same number', () => {
    const dir = tmp();
    writeFileSync(join(dir, '005_x.sql'), '');
    writeFileSync(join(dir, '005_y.sql'), '');
    expect(() => listMigrations([dir])).toThrow(/two migrations numbered 5/);
  });
});
