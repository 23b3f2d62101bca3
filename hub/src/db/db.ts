/**
 * SQLite storage: WAL with synchronous=FULL (a commit is a promise to a citizen: see
 * platform-notes.md), and a migration runner.
 *
 * Migrations are files `NNN_name.sql` or `NNN_name.ts|js` (exporting `up(db)`) in ./migrations,
 * applied in numeric order, each inside its own transaction, recorded in `schema_migrations`.
 * Number ranges: 001–099 core hub, 100–199 forwarding, 200+ dashboard and later work.
 */
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Db = Database.Database;

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
/**
 * tsc copies no .sql files, so when running from dist/ the .sql migrations are read from the
 * matching src/ folder (shipped with the package); .ts migrations run compiled from dist/.
 */
const MIGRATION_DIRS = HERE.includes(`${sep}dist${sep}`) ? [HERE, HERE.replace(`${sep}dist${sep}`, `${sep}src${sep}`)] : [HERE];

export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly path: string;
}

export function listMigrations(dirs: readonly string[] = MIGRATION_DIRS): MigrationFile[] {
  const seen = new Map<string, MigrationFile>();
  for (const dir of dirs) {
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir)) {
    const m = /^(\d{3})_([a-z0-9_-]+)\.(sql|ts|js)$/i.exec(f);
    if (!m || f.endsWith('.d.ts')) continue;
    const [, num, name, ext] = m as unknown as [string, string, string, string];
    // a .ts source and its compiled .js are the same migration; prefer .js when both exist
    const key = `${num}_${name}`;
    const prev = seen.get(key);
    if (prev && !(ext === 'js' && prev.path.endsWith('.ts'))) continue;
    if (dir !== dirs[0] && ext !== 'sql') continue;
    seen.set(key, { version: Number(num), name: key, path: join(dir, f) });
  }
  }
  const list = [...seen.values()].sort((a, b) => a.version - b.version);
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.version === list[i - 1]!.version) throw new Error(`two migrations numbered ${list[i]!.version}: ${list[i - 1]!.name}, ${list[i]!.name}`);
  }
  return list;
}

/** Applies pending migrations in order; returns the names applied. */
export async function migrate(db: Db, dirs: readonly string[] = MIGRATION_DIRS): Promise<string[]> {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: string[] = [];
  for (const m of listMigrations(dirs)) {
    if (done.has(m.version)) continue;
    let up: (db: Db) => void;
    if (m.path.endsWith('.sql')) {
      const sql = readFileSync(m.path, 'utf8');
      up = (d) => d.exec(sql);
    } else {
      // loading is async, applying is not: no await inside the transaction
      const mod = (await import(m.path)) as { up?: (db: Db) => void };
      if (typeof mod.up !== 'function') throw new Error(`migration ${m.name} exports no up(db)`);
      up = mod.up;
    }
    db.transaction(() => {
      up(db);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.name);
  }
  return applied;
}

/** A prepared statement taking any parameters. */
export type Stmt = Database.Statement<unknown[], unknown>;
