/**
 * Clock correction. A Pi without RTC may give ratings before its clock is set; those carry
 * clock.trusted=false with the boot id and monotonic ms. Once the hub learns the offset for that
 * boot (wall ms − monotonic ms, from a trusted rating or telemetry with the same boot id), every
 * untrusted rating of that boot gets `corrected_given_at` and the flag 'clock-corrected'. The
 * original givenAt and the signed body are kept unchanged.
 */
import type { Db, Stmt } from '../db/db.js';

export class ClockCorrector {
  private stmts?: {
    get: Stmt;
    put: Stmt;
    fix: Stmt;
  };

  constructor(private readonly db: Db) {}

  private s(): NonNullable<ClockCorrector['stmts']> {
    this.stmts ??= {
      get: this.db.prepare('SELECT offset_ms AS o FROM boot_offsets WHERE device_id = ? AND boot_id = ?'),
      put: this.db.prepare('INSERT OR IGNORE INTO boot_offsets (device_id, boot_id, offset_ms, learned_at) VALUES (?, ?, ?, ?)'),
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
    if (s.put.run(deviceId, bootId, Math.round(offsetMs), nowIso).changes === 0) return 0;
    return s.fix.run(Math.round(offsetMs), deviceId, bootId).changes;
  }
}
