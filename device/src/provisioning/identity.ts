/**
 * The device's identity as received from the hub (ids, MQTT credentials, signing key) plus the
 * settings and indicator list the hub sent since. One JSON file in the data dir, written atomically,
 * readable only by the device user.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { DeviceRuntimeSettings, HcpError, IndicatorList, ProvisionResponse, formatErrors, validate } from '@hcp/protocol';
import { writeFileAtomic } from './atomic.js';

export const StoredIdentity = Type.Object(
  {
    v: Type.Literal(1),
    provisionedAt: Type.String(),
    identity: ProvisionResponse,
    settings: DeviceRuntimeSettings,
    indicators: Type.Union([IndicatorList, Type.Null()]),
  },
  { additionalProperties: false },
);
export type StoredIdentity = Static<typeof StoredIdentity>;

export class IdentityStore {
  readonly file: string;
  readonly claimFile: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'identity.json');
    this.claimFile = join(dataDir, 'claim.json');
  }

  /** The stored identity, or null when unprovisioned. A damaged file is an error, not "unprovisioned". */
  load(): StoredIdentity | null {
    if (!existsSync(this.file)) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw new HcpError('HCP_CONFIG_UNREADABLE', { file: this.file }, { message: `identity file ${this.file} is unreadable`, cause: err });
    }
    const r = validate(StoredIdentity, raw);
    if (!r.ok) throw new HcpError('HCP_CONFIG_INVALID', { file: this.file, errors: r.errors }, { message: `identity file is invalid: ${formatErrors(r.errors)}` });
    return r.value;
  }

  save(s: StoredIdentity): void {
    writeFileAtomic(this.file, JSON.stringify(s, null, 2));
  }

  fromResponse(res: ProvisionResponse, at: string): StoredIdentity {
    return { v: 1, provisionedAt: at, identity: res, settings: res.settings, indicators: res.indicators };
  }

  /** Decommission: the identity and the claim code go; the device is new again. */
  wipe(): void {
    rmSync(this.file, { force: true });
    rmSync(this.claimFile, { force: true });
  }

  /** The claim code shown on screen survives restarts, so a technician can claim it after a reboot. */
  loadClaim(): string | null {
    try {
      const v = JSON.parse(readFileSync(this.claimFile, 'utf8')) as { claimCode?: unknown };
      return typeof v.claimCode === 'string' ? v.claimCode : null;
    } catch {
      return null;
    }
  }

  saveClaim(code: string): void {
    writeFileAtomic(this.claimFile, JSON.stringify({ claimCode: code }));
  }
}
