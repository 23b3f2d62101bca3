/**
 * Who may connect to the broker and which topics they may use. One implementation, two callers:
 * the embedded aedes broker's hooks and the HTTP auth/ACL endpoints an external broker calls.
 *
 * - the hub's own client (username from hub-secrets.json) is a superuser;
 * - a device connects with username = client id = its device id and the password issued at
 *   provisioning (scrypt-hashed in the db); a revoked or unknown device is refused;
 * - a device may publish only its own ratings/status/telemetry/results/events and subscribe only to
 *   its own commands/acks (protocol's mayDevicePublish / mayDeviceSubscribe).
 */
import { timingSafeEqual } from 'node:crypto';
import { DEVICE_PUBLISHES, DEVICE_SUBSCRIBES, buildTopic, mayDevicePublish, mayDeviceSubscribe } from '@hcp/protocol';
import type { Db, Stmt } from '../db/db.js';
import { verifyPassword } from '../crypto/passwords.js';
import type { HubSecrets } from '../secrets.js';

export type MqttPrincipal = { readonly kind: 'hub' } | { readonly kind: 'device'; readonly hallId: string; readonly deviceId: string };

/**
 * mayPublish / maySubscribe as data: 'all' for the hub, else the exact topics a device may use
 * (a device's rights are a handful of concrete topics, no wildcards). The embedded broker runs in
 * a worker thread and checks every packet against this list without a round trip.
 */
export type TopicAllow = 'all' | { readonly publish: readonly string[]; readonly subscribe: readonly string[] };

export class DeviceAuth {
  private stmt?: Stmt;

  constructor(private readonly db: Db, private readonly hub: HubSecrets['mqtt']) {}

  async authenticate(username: string | undefined, password: string | undefined, clientId: string): Promise<MqttPrincipal | null> {
    if (!username || password === undefined) return null;
    if (username === this.hub.username) {
      const a = Buffer.from(password);
      const b = Buffer.from(this.hub.password);
      return a.length === b.length && timingSafeEqual(a, b) ? { kind: 'hub' } : null;
    }
    // the client id is the device id: no device can take over another's session
    if (clientId !== username) return null;
    this.stmt ??= this.db.prepare("SELECT hall_id AS hallId, mqtt_password_hash AS hash FROM devices WHERE id = ? AND state = 'active'");
    const row = this.stmt.get(username) as { hallId: string; hash: string } | undefined;
    if (!row) return null;
    if (!(await verifyPassword(password, row.hash))) return null;
    return { kind: 'device', hallId: row.hallId, deviceId: username };
  }

  mayPublish(p: MqttPrincipal, topic: string): boolean {
    return p.kind === 'hub' || mayDevicePublish(p, topic);
  }

  maySubscribe(p: MqttPrincipal, filter: string): boolean {
    return p.kind === 'hub' || mayDeviceSubscribe(p, filter);
  }

  /** The same rights as mayPublish/maySubscribe, listed (tested to agree with them). */
  allowList(p: MqttPrincipal): TopicAllow {
    if (p.kind === 'hub') return 'all';
    return {
      publish: DEVICE_PUBLISHES.map((k) => buildTopic(p.hallId, p.deviceId, k)),
      subscribe: DEVICE_SUBSCRIBES.map((k) => buildTopic(p.hallId, p.deviceId, k)),
    };
  }
}
