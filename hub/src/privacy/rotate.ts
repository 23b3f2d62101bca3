/**
 * Data-key rotation (`hcp-hub rotate-key`, docs/personal-data.md): every encrypted value in the
 * database is re-encrypted under a new current key, in one transaction.
 *
 * - Key file mode (no HCP_DATA_KEY): a new random key `k<n+1>` is added to data-key.json and made
 *   current FIRST (atomic write), then the values are re-encrypted: a crash in between leaves every
 *   value readable (old keys stay in the file) and a second run finishes the job.
 * - Env mode (HCP_DATA_KEY with a new HCP_DATA_KEY_ID, the old key in HCP_DATA_KEY_PREVIOUS or the
 *   key file): the env key is the new current key; the command only re-encrypts.
 * - `prune`: afterwards, keys no value uses any more are removed from the key file (never the
 *   current key). Values under a pruned key could never be read again, hence the check first.
 *
 * Encrypted columns are found by the naming rule `<name>_enc` in every table, so a later migration
 * that adds one is rotated too without a change here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/db.js';
import type { AuditLog } from '../audit.js';
import { DataCrypto, keyIdOf, loadKeyRing, writeKeyFile } from '../crypto/data-key.js';

export interface RotationResult {
  readonly previous: string;
  readonly current: string;
  readonly mode: 'file' | 'env';
  /** values re-encrypted, per `table.column` */
  readonly reencrypted: Readonly<Record<string, number>>;
  /** key ids still in use after the run, with their value counts */
  readonly inUse: Readonly<Record<string, number>>;
  readonly pruned: readonly string[];
}

/** Every `*_enc` column of every table. */
export function encryptedColumns(db: Db): { table: string; column: string }[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
  const out: { table: string; column: string }[] = [];
  for (const t of tables) {
    for (const c of db.prepare('SELECT name FROM pragma_table_info(?)').all(t.name) as { name: string }[]) {
      if (c.name.endsWith('_enc')) out.push({ table: t.name, column: c.name });
    }
  }
  return out;
}

const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;

/** Counts values per key id over every encrypted column. */
export function keyUsage(db: Db): Record<string, number> {
  const used: Record<string, number> = {};
  for (const { table, column } of encryptedColumns(db)) {
    for (const r of db.prepare(`SELECT ${q(column)} AS v FROM ${q(table)} WHERE ${q(column)} IS NOT NULL`).all() as { v: string }[]) {
      const kid = keyIdOf(r.v) ?? '(not encrypted)';
      used[kid] = (used[kid] ?? 0) + 1;
    }
  }
  return used;
}

/** The key file's keys as stored (no check that its current key is among them: in env mode it need not be). */
function fileKeys(dataDir: string): Record<string, Buffer> | null {
  const file = join(dataDir, 'data-key.json');
  if (!existsSync(file)) return null;
  const j = JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, string> };
  return Object.fromEntries(Object.entries(j.keys).map(([id, k]) => [id, Buffer.from(k, 'base64url')]));
}

export function rotateDataKey(db: Db, dataDir: string, env: NodeJS.ProcessEnv, audit: AuditLog, opts: { prune: boolean; actor?: string }): RotationResult {
  const before = loadKeyRing(dataDir, env);
  let mode: 'file' | 'env';
  let ring = before;
  if (env.HCP_DATA_KEY) {
    mode = 'env';
  } else {
    mode = 'file';
    let n = Object.keys(before.keys).length + 1;
    while (before.keys[`k${n}`]) n++;
    const id = `k${n}`;
    // key file first: from here on the new key exists on disk whatever happens to this process
    writeKeyFile(dataDir, id, { ...(fileKeys(dataDir) ?? {}), [id]: randomBytes(32) });
    ring = loadKeyRing(dataDir, env);
  }
  const crypto = new DataCrypto(ring);
  const reencrypted: Record<string, number> = {};
  db.transaction(() => {
    for (const { table, column } of encryptedColumns(db)) {
      const rows = db.prepare(`SELECT rowid AS rid, ${q(column)} AS v FROM ${q(table)} WHERE ${q(column)} IS NOT NULL`).all() as { rid: number; v: string }[];
      const update = db.prepare(`UPDATE ${q(table)} SET ${q(column)} = ? WHERE rowid = ?`);
      let n = 0;
      for (const r of rows) {
        if (keyIdOf(r.v) === ring.current) continue;
        // decrypt throws for a value under a key that is not available: nothing is changed then
        update.run(crypto.encrypt(crypto.decrypt(r.v)), r.rid);
        n++;
      }
      reencrypted[`${table}.${column}`] = n;
    }
    audit.record(opts.actor ?? 'cli', 'data-key.rotate', null, { previous: before.current, current: ring.current, mode, reencrypted });
  })();
  const inUse = keyUsage(db);
  const pruned: string[] = [];
  if (opts.prune) {
    const stored = fileKeys(dataDir);
    if (stored) {
      const keep: Record<string, Buffer> = {};
      for (const [id, k] of Object.entries(stored)) {
        if (id === ring.current || (inUse[id] ?? 0) > 0) keep[id] = k;
        else pruned.push(id);
      }
      if (pruned.length) {
        // env mode: the file may end up with no key at all; its `current` then names the env key, so
        // starting without HCP_DATA_KEY fails loudly instead of making a fresh key
        writeKeyFile(dataDir, ring.current, keep);
        db.transaction(() => audit.record(opts.actor ?? 'cli', 'data-key.prune', null, { pruned, current: ring.current }))();
      }
    }
  }
  return { previous: before.current, current: ring.current, mode, reencrypted, inUse, pruned };
}
