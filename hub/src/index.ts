/** @hcp/hub public entry: what `npm start`, the forwarder and tests use. */
export { startHub, Hub, type HubAddresses, type HubDeps, type HubExtension } from './hub.js';
export { makeConfig, HubConfigSchema, type HubConfig } from './config.js';
export type { StoredRating, IngestHook } from './inbox/ingest.js';
export type { ClockCorrection, CorrectionListener } from './inbox/clock-correction.js';
export type { Db } from './db/db.js';
export type { Clock } from './clock.js';
