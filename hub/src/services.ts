/** Everything the HTTP routes use, built by the composition root (hub.ts) and passed to the app. */
import type { Logger } from 'pino';
import type { Db } from './db/db.js';
import type { Clock } from './clock.js';
import type { HubConfig } from './config.js';
import type { Metrics } from './metrics.js';
import type { AuditLog } from './audit.js';
import type { Operators } from './auth/operators.js';
import type { Registry } from './registry/registry.js';
import type { Provisioning } from './registry/provisioning.js';
import type { Sessions } from './sessions/sessions.js';
import type { EventBus } from './events/bus.js';
import type { Alerts } from './health/alerts.js';
import type { DeviceAuth } from './broker/device-auth.js';
import type { DeviceSettingsStore } from './health/device-settings.js';
import type { CommandSender } from './broker/commands.js';
import type { Cases } from './cases/cases.js';

export interface Services {
  readonly config: HubConfig;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly operators: Operators;
  readonly registry: Registry;
  readonly provisioning: Provisioning;
  readonly sessions: Sessions;
  readonly bus: EventBus;
  readonly alerts: Alerts;
  /** 差评 follow-up (hub/src/cases). */
  readonly cases: Cases;
  readonly deviceAuth: DeviceAuth;
  readonly deviceSettings: DeviceSettingsStore;
  readonly commands: CommandSender;
  /** Where devices reach the broker (handed out at provisioning). */
  readonly mqttPublicUrl: () => string;
  /** Readiness for /healthz. */
  readonly ready: () => { db: boolean; mqtt: boolean };
}
