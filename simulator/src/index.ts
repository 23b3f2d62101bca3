/**
 * @hcp/simulator: fakes for hardware and outside systems. Each implements the interface of the
 * real part it stands for; tests of other packages import them from here.
 */
export * from './ack-peer/ack-peer.js';
export { ProvincialSimulator, FaultSettingsError, PROFILES, type ProvincialOptions, type ProvincialProfile, type ProvincialCounts } from './provincial/server.js';
export { NO_FAULTS, type FaultSettings, type FaultPatch, type OutageMode, type DropWhen, type OutageState } from './provincial/faults.js';
export { DEFAULT_INDICATORS } from './provincial/indicators.js';
export { sealEnvelope, openEnvelope, envelopeSignature, SIGN_TYPES, type SignType, type Envelope } from './provincial/envelope.js';
export { checkRecord, REJECT_CODES, RECORD_FIELDS, parseChinaTime, type EvaluationRecord, type RejectCode } from './provincial/record.js';
export type { RecordResult, RecordStatus, StoredRecord, StoreCounts } from './provincial/store.js';
export { BusinessSimulator, type BusinessOptions, type BusinessStats } from './business/simulator.js';
export { HubClient, HubListError, type WindowTarget, type OpenResult } from './business/hub-client.js';
export { fakeApplicant, fakeIdNumber, fakePhone, fakeName, fakeUscc } from './business/people.js';
export { isValidIdNumber, isValidUscc, idCheckChar, usccCheckChar } from './business/idcard.js';
export { seededRandom, type Random } from './business/random.js';
export * from './panel/serial-panel-fake.js';
export * from './gpio/virtual-io.js';
export * from './hid/fake-hid.js';
export { restartablePort } from './netem/ports.js';
