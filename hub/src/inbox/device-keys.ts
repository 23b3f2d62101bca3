/**
 * Device signing keys for signature checks: read from the db (encrypted at rest) and cached in
 * memory. Registry changes (revoke, new device) call forget() so the cache never outlives them.
 */
import type { Db, Stmt } from '../db/db.js';
import type { DataCrypto } from '../crypto/data-key.js';

export interface DeviceKey {
  readonly hallId: string;
  readonly state: 'active' | 'revoked';
  readonly key: Buffer;
}

export class DeviceKeys {
  private readonly cache = new Map<string, DeviceKey>();
  private stmt?: Stmt;

  constructor(private readonly db: Db, private readonly crypto: DataCrypto) {}

  get(deviceId: string): DeviceKey | undefined {
    const hit = this.cache.get(deviceId);
    if (hit) return hit;
    this.stmt ??= this.db.prepare('SELECT hall_id AS hallId, state, signing_key_enc AS enc FROM devices WHERE id = ?');
    const row = this.stmt.get(deviceId) as { hallId: string; state: 'active' | 'revoked'; enc: string } | undefined;
    if (!row) return undefined;
    const k: DeviceKey = { hallId: row.hallId, state: row.state, key: Buffer.from(this.crypto.decrypt(row.enc), 'base64url') };
    this.cache.set(deviceId, k);
    return k;
  }

  forget(deviceId: string): void {
    this.cache.delete(deviceId);
  }
}
