/**
 * @hcp/protocol: the contract between device, hub and simulator. No I/O here (enforced by lint).
 */
export const PROTOCOL_VERSION = 1;
export * from './errors.js';
export * from './ids.js';
export * from './codes.js';
export * from './validate.js';
export * from './topics.js';
export * from './signature.js';
export * from './serial.js';
export * from './schemas/common.js';
export * from './schemas/rating.js';
export * from './schemas/health.js';
export * from './schemas/commands.js';
export * from './schemas/provisioning.js';
export * from './schemas/sessions.js';
