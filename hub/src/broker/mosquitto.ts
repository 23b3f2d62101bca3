/**
 * Files for an external Mosquitto (2.x) without plugins: a password file and an ACL file.
 *
 * - passwd: `username:$7$101$<salt>$<hash>` (PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt,
 *   the format mosquitto_passwd writes) for the hub and every active device. The hash is made at
 *   provisioning, when the hub last sees the device's password in clear.
 * - acl: the hub may use every topic of its hall; a device (username = client id = device id,
 *   `%u`) only its own publish kinds and its own commands/acks.
 *
 * Mosquitto reads both at start and on SIGHUP. It does not drop clients that are already
 * connected when a device is removed: after a decommission, reload AND restart the broker or wait
 * for the device's next connect (see docs/brokers.md).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_PUBLISHES, DEVICE_SUBSCRIBES, TOPIC_ROOT, TOPIC_VERSION } from '@hcp/protocol';
import type { Db } from '../db/db.js';
import type { HubSecrets } from '../secrets.js';

export function mosquittoHash(password: string, salt = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function mosquittoAcl(hallId: string, hubUsername: string): string {
  const base = `${TOPIC_ROOT}/${TOPIC_VERSION}/${hallId}`;
  return [
    '# written by hcp-hub mosquitto-config; do not edit',
    `user ${hubUsername}`,
    `topic readwrite ${base}/#`,
    '',
    '# every device: username = client id = device id',
    ...DEVICE_PUBLISHES.map((k) => `pattern write ${base}/%u/${k}`),
    ...DEVICE_SUBSCRIBES.map((k) => `pattern read ${base}/%u/${k}`),
    '',
  ].join('\n');
}

/** Writes `passwd` and `acl` into dir (atomically: temp file + rename). Returns the device count. */
export function writeMosquittoFiles(db: Db, secrets: HubSecrets['mqtt'], hallId: string, dir: string): number {
  const rows = db
    .prepare("SELECT id, mosquitto_hash AS h FROM devices WHERE state = 'active' AND hall_id = ? AND mosquitto_hash IS NOT NULL ORDER BY id")
    .all(hallId) as { id: string; h: string }[];
  const passwd = [`${secrets.username}:${mosquittoHash(secrets.password)}`, ...rows.map((r) => `${r.id}:${r.h}`), ''].join('\n');
  const put = (name: string, text: string): void => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o640 });
    renameSync(tmp, join(dir, name));
  };
  put('passwd', passwd);
  put('acl', mosquittoAcl(hallId, secrets.username));
  return rows.length;
}
