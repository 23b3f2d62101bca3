/**
 * What devices should be running: runtime settings and the 差评 indicator list, versioned in
 * `hub_settings`. A device that comes online behind either gets it pushed (see health.ts).
 */
import type { DeviceRuntimeSettings, IndicatorList } from '@hcp/protocol';
import type { Db } from '../db/db.js';

export class DeviceSettingsStore {
  constructor(private readonly db: Db) {}

  private read<T>(key: string): { value: T; version: number } | null {
    const row = this.db.prepare('SELECT value, version FROM hub_settings WHERE key = ?').get(key) as { value: string; version: number } | undefined;
    return row ? { value: JSON.parse(row.value) as T, version: row.version } : null;
  }

  private write(key: string, value: unknown, at: string): number {
    const row = this.db
      .prepare(`INSERT INTO hub_settings (key, value, version, updated_at) VALUES (?, ?, 1, ?)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at RETURNING version`)
      .get(key, JSON.stringify(value), at) as { version: number };
    return row.version;
  }

  settings(): { value: DeviceRuntimeSettings; version: number } {
    return this.read<DeviceRuntimeSettings>('device-settings') ?? { value: {}, version: 0 };
  }

  setSettings(s: DeviceRuntimeSettings, at: string): number {
    return this.write('device-settings', s, at);
  }

  indicators(): IndicatorList | null {
    return this.read<IndicatorList>('indicators')?.value ?? null;
  }

  setIndicators(list: IndicatorList, at: string): number {
    return this.write('indicators', list, at);
  }
}
