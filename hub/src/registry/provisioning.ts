/**
 * Device provisioning by claim code.
 *
 *   device → POST /api/provision/exchange {claimCode, hardwareId, …}
 *     unknown code      → recorded as `waiting` (the technician sees it), 202 HCP_CLAIM_PENDING
 *     waiting           → 202 HCP_CLAIM_PENDING (until claimed)
 *     claimed           → device created: identity, MQTT credentials, signing key, config; 200
 *     used / expired    → 404 HCP_CLAIM_INVALID (single use)
 *     its device revoked→ 403 HCP_DEVICE_REVOKED
 *   technician → POST /api/devices/claim {claimCode, windowId}  (a waiting code → claimed)
 *   technician → POST /api/provision/codes {windowId}          (a pre-created, already claimed code)
 *
 * Decommission revokes the credentials, disconnects the device and sends it `decommission`.
 * Everything is audit-logged.
 */
import { randomBytes } from 'node:crypto';
import {
  HcpError, makeClaimCode,
  type DeviceRuntimeSettings, type IndicatorList, type ProvisionRequest, type ProvisionResponse,
} from '@hcp/protocol';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../audit.js';
import type { DataCrypto } from '../crypto/data-key.js';
import { hashPassword, MACHINE_COST } from '../crypto/passwords.js';
import { mosquittoHash } from '../broker/mosquitto.js';
import type { DeviceKeys } from '../inbox/device-keys.js';
import type { CommandSender } from '../broker/commands.js';
import type { DeviceSettingsStore } from '../health/device-settings.js';

export interface Disconnector {
  /** Cuts a device's MQTT connection at once; false if the broker cannot (external broker). */
  disconnect(deviceId: string): boolean;
}

export interface ProvisioningOptions {
  readonly hallId: string;
  readonly claimCodeTtlS: number;
  /** Called after a device got or lost credentials (e.g. to rewrite Mosquitto's password file). */
  readonly onCredentialsChanged?: () => void;
}

export type ExchangeResult =
  | { readonly kind: 'issued'; readonly response: ProvisionResponse }
  | { readonly kind: 'pending' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'revoked' };

interface CodeRow {
  code: string; state: 'waiting' | 'claimed' | 'used' | 'revoked'; window_id: string | null; hardware_id: string | null;
  device_id: string | null; expires_at: string;
}

export class Provisioning {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly crypto: DataCrypto,
    private readonly keys: DeviceKeys,
    private readonly commands: CommandSender,
    private readonly settings: DeviceSettingsStore,
    private readonly broker: Disconnector,
    private readonly log: Logger,
    private readonly opts: ProvisioningOptions,
  ) {}

  private iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString();
  }

  /** The device side of the exchange. `urls` are what the device should use to reach hub and broker. */
  exchange(req: ProvisionRequest, urls: { hubUrl: string; mqttUrl: string }): ExchangeResult {
    const now = this.clock.now();
    const at = this.iso(now);
    const actor = `device-claim:${req.claimCode}`;
    const result = this.db.transaction((): ExchangeResult => {
      const row = this.db.prepare('SELECT code, state, window_id, hardware_id, device_id, expires_at FROM claim_codes WHERE code = ?').get(req.claimCode) as CodeRow | undefined;
      if (!row) {
        this.db.prepare("INSERT INTO claim_codes (code, state, hardware_id, model, app_version, created_at, expires_at) VALUES (?, 'waiting', ?, ?, ?, ?, ?)")
          .run(req.claimCode, req.hardwareId, req.model, req.appVersion, at, this.iso(now + this.opts.claimCodeTtlS * 1000));
        this.audit.record(actor, 'provision.waiting', req.claimCode, { hardwareId: req.hardwareId, model: req.model });
        return { kind: 'pending' };
      }
      if (row.state === 'revoked' || (row.device_id && this.deviceState(row.device_id) === 'revoked')) return { kind: 'revoked' };
      if (row.state === 'used' || row.expires_at < at) return { kind: 'invalid' };
      if (row.state === 'waiting') {
        // the same code from another board is someone guessing or a collision: never re-bind it
        if (row.hardware_id !== req.hardwareId) return { kind: 'invalid' };
        return { kind: 'pending' };
      }
      // claimed: issue the identity
      if (row.hardware_id && row.hardware_id !== req.hardwareId) return { kind: 'invalid' };
      const deviceId = `dev-${randomBytes(5).toString('hex')}`;
      const password = randomBytes(32).toString('base64url');
      const signingKey = randomBytes(32).toString('base64url');
      this.db.prepare(`INSERT INTO devices (id, hall_id, window_id, hardware_id, model, app_version, state, mqtt_password_hash, mosquitto_hash, signing_key_enc, created_at, settings_version)
        VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`)
        .run(deviceId, this.opts.hallId, row.window_id, req.hardwareId, req.model, req.appVersion, hashPassword(password, MACHINE_COST),
          mosquittoHash(password), this.crypto.encrypt(signingKey), at, this.settings.settings().version);
      this.db.prepare("UPDATE claim_codes SET state = 'used', used_at = ?, device_id = ?, hardware_id = ? WHERE code = ?").run(at, deviceId, req.hardwareId, req.claimCode);
      this.audit.record(actor, 'provision.issued', deviceId, { claimCode: req.claimCode, windowId: row.window_id, hardwareId: req.hardwareId });
      const settings: DeviceRuntimeSettings = this.settings.settings().value;
      const indicators: IndicatorList | null = this.settings.indicators();
      return {
        kind: 'issued',
        response: {
          v: 1, hallId: this.opts.hallId, deviceId, windowId: row.window_id!,
          mqtt: { url: urls.mqttUrl, username: deviceId, password, clientId: deviceId },
          signingKey, hubUrl: urls.hubUrl, settings, indicators,
        },
      };
    })();
    if (result.kind === 'issued') this.credentialsChanged();
    return result;
  }

  private credentialsChanged(): void {
    try {
      this.opts.onCredentialsChanged?.();
    } catch (err) {
      this.log.error({ err }, 'credentials-changed hook failed');
    }
  }

  private deviceState(id: string): string | undefined {
    return (this.db.prepare('SELECT state FROM devices WHERE id = ?').get(id) as { state: string } | undefined)?.state;
  }

  private requireWindow(windowId: string): void {
    if (!this.db.prepare('SELECT 1 FROM windows WHERE id = ?').get(windowId)) {
      throw new HcpError('HCP_NOT_FOUND', { field: '/windowId', windowId }, { message: `window ${windowId} does not exist` });
    }
  }

  /** A technician claims a code shown on a device that has already asked (state waiting). */
  claim(code: string, windowId: string, actor: string): { code: string; windowId: string; expiresAt: string } {
    const at = this.iso();
    return this.db.transaction(() => {
      this.requireWindow(windowId);
      const row = this.db.prepare('SELECT code, state, expires_at FROM claim_codes WHERE code = ?').get(code) as CodeRow | undefined;
      if (!row || row.state !== 'waiting' || row.expires_at < at) throw new HcpError('HCP_CLAIM_INVALID', { claimCode: code });
      this.db.prepare("UPDATE claim_codes SET state = 'claimed', window_id = ?, claimed_by = ?, claimed_at = ? WHERE code = ?").run(windowId, actor, at, code);
      this.audit.record(actor, 'provision.claim', code, { windowId });
      return { code, windowId, expiresAt: row.expires_at };
    })();
  }

  /** Pre-creates a code for a window; the technician then enters it on the device. */
  createCode(windowId: string, actor: string): { code: string; windowId: string; expiresAt: string } {
    const now = this.clock.now();
    const at = this.iso(now);
    const expiresAt = this.iso(now + this.opts.claimCodeTtlS * 1000);
    return this.db.transaction(() => {
      this.requireWindow(windowId);
      for (let i = 0; i < 10; i++) {
        const code = makeClaimCode((b) => randomBytes(b.length));
        const r = this.db.prepare("INSERT OR IGNORE INTO claim_codes (code, state, window_id, created_at, expires_at, claimed_by, claimed_at) VALUES (?, 'claimed', ?, ?, ?, ?, ?)")
          .run(code, windowId, at, expiresAt, actor, at);
        if (r.changes === 1) {
          this.audit.record(actor, 'provision.code', code, { windowId });
          return { code, windowId, expiresAt };
        }
      }
      throw new HcpError('HCP_INTERNAL', undefined, { message: 'could not make a unique claim code' });
    })();
  }

  listCodes(state?: string): unknown[] {
    return this.db
      .prepare(`SELECT code, state, window_id AS windowId, hardware_id AS hardwareId, model, device_id AS deviceId, created_at AS createdAt, expires_at AS expiresAt
        FROM claim_codes WHERE (? IS NULL OR state = ?) AND expires_at >= ? ORDER BY created_at DESC LIMIT 500`)
      .all(state ?? null, state ?? null, this.iso());
  }

  /** Revokes credentials (refused at the next connect and by ingest), cuts the connection, tells the device. */
  async decommission(deviceId: string, actor: string): Promise<{ disconnected: boolean }> {
    const at = this.iso();
    const dev = this.db.transaction(() => {
      const d = this.db.prepare("SELECT id, hall_id AS hallId, state FROM devices WHERE id = ?").get(deviceId) as { id: string; hallId: string; state: string } | undefined;
      if (!d) throw new HcpError('HCP_DEVICE_UNKNOWN', { deviceId });
      if (d.state === 'revoked') throw new HcpError('HCP_CONFLICT', { deviceId }, { message: 'device is already decommissioned' });
      this.db.prepare("UPDATE devices SET state = 'revoked', revoked_at = ?, window_id = NULL WHERE id = ?").run(at, deviceId);
      this.db.prepare("UPDATE claim_codes SET state = 'revoked' WHERE device_id = ?").run(deviceId);
      this.audit.record(actor, 'device.decommission', deviceId);
      return d;
    })();
    this.keys.forget(deviceId);
    this.credentialsChanged();
    try {
      // best effort: the device may be offline; its credentials are revoked either way
      await this.commands.send(dev.hallId, deviceId, 'decommission', {});
    } catch (err) {
      this.log.warn({ err, deviceId }, 'decommission command not sent');
    }
    return { disconnected: this.broker.disconnect(deviceId) };
  }
}
