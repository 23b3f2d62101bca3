/**
 * Clock correction. A Pi without RTC may give ratings before its clock is set; those carry
 * clock.trusted=false with the boot id and monotonic ms. Once the hub learns the offset for that
 * boot (wall ms − monotonic ms, from a trusted rating or telemetry with the same boot id), every
 * untrusted rating of that boot gets `corrected_given_at` and the flag 'clock-corrected'. The
 * original givenAt and the signed body are kept unchanged.
 */
import type { Db, Stmt } from '../db/db.js';

/** What a correction changed; given to listeners inside the same transaction. */
export interface ClockCorrection {
  readonly deviceId: string;
  readonly bootId: string;
  readonly offsetMs: number;
  /** Ratings that now have `corrected_given_at` (= offsetMs + their monotonic ms). */
  readonly ratingIds: readonly string[];
}

/**
 * Runs INSIDE the transaction that corrected already-stored ratings (e.g. so the forwarder can fix
 * the time of records it queued but has not sent). Synchronous; throwing rolls the change back.
 */
export type CorrectionListener = (tx: Db, c: ClockCorrection) => void;

export class ClockCorrector {
  private readonly listeners: CorrectionListener[] = [];

  private stmts?: {
    get: Stmt;
    put: Stmt;
    ids: Stmt;
    fix: Stmt;
  };

  constructor(private readonly db: Db) {}

  private s(): NonNullable<ClockCorrector['stmts']> {
    this.stmts ??= {
      get: this.db.prepare('SELECT offset_ms AS o FROM boot_offsets WHERE device_id = ? AND boot_id = ?'),
      put: this.db.prepare('INSERT OR IGNORE INTO boot_offsets (device_id, boot_id, offset_ms, learned_at) VALUES (?, ?, ?, ?)'),
      ids: this.db.prepare('SELECT id FROM ratings WHERE device_id = ? AND boot_id = ? AND clock_trusted = 0 AND corrected_given_at IS NULL'),
      fix: this.db.prepare(`UPDATE ratings
        SET corrected_given_at = strftime('%Y-%m-%dT%H:%M:%fZ', (? + mono_ms) / 1000.0, 'unixepoch'),
            flags = CASE WHEN EXISTS (SELECT 1 FROM json_each(flags) WHERE value = 'clock-corrected') THEN flags ELSE json_insert(flags, '$[#]', 'clock-corrected') END
        WHERE device_id = ? AND boot_id = ? AND clock_trusted = 0 AND corrected_given_at IS NULL`),
    };
    return this.stmts;
  }

  offset(deviceId: string, bootId: string): number | undefined {
    return (this.s().get.get(deviceId, bootId) as { o: number } | undefined)?.o;
  }

  /** Records the offset of a boot (first one wins) and corrects that boot's stored ratings. Returns how many. */
  learn(deviceId: string, bootId: string, offsetMs: number, nowIso: string): number {
    const s = this.s();
    const off = Math.round(offsetMs);
    if (s.put.run(deviceId, bootId, off, nowIso).changes === 0) return 0;
    const ids = this.listeners.length ? (s.ids.all(deviceId, bootId) as { id: string }[]).map((r) => r.id) : [];
    const n = s.fix.run(off, deviceId, bootId).changes;
    if (n > 0) for (const l of this.listeners) l(this.db, { deviceId, bootId, offsetMs: off, ratingIds: ids });
    return n;
  }

  /** Registers a listener for corrections of stored ratings; returns an unregister function. */
  onCorrected(l: CorrectionListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}
