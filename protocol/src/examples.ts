/**
 * One valid example of every message. Tests validate them against their schemas and
 * docs/protocol.md is generated from them, so the documentation cannot drift from the schemas.
 */
import { signRating } from './signature.js';
import type { Ack, Rating, RatingBatch, UnsignedRating } from './schemas/rating.js';
import type { DeviceStatus, Telemetry } from './schemas/health.js';
import type { Command, CommandResult, DeviceEvent } from './schemas/commands.js';
import type { ProvisionRequest, ProvisionResponse } from './schemas/provisioning.js';
import type { SessionOpenRequest } from './schemas/sessions.js';

/** A documented test key (base64url of 32 bytes 0x00..0x1f). Never used outside examples and tests. */
export const EXAMPLE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url');

export const exampleUnsignedRating: UnsignedRating = {
  v: 1,
  id: '019a8f3c-5e2b-7c4d-8a1b-2c3d4e5f6a7b',
  hallId: 'hall-1',
  deviceId: 'dev-0001',
  windowId: 'w-01',
  sessionId: 's-20261121-0001',
  caseNumbers: ['330100-2026-000123', '330100-2026-000124'],
  staffId: 'staff-007',
  itemCode: '330100-000-XK-001',
  level: 2,
  indicators: ['501', '510'],
  indicatorVersion: '2026.11',
  channel: 5,
  assessNumber: 1,
  origin: 'session',
  flags: [],
  givenAt: '2026-11-21T02:15:30.120Z',
  clock: { trusted: true, source: 'ntp', bootId: 'b7e1c2d4', monoMs: 3_600_120 },
  seq: 42,
};

export const exampleRating: Rating = signRating(exampleUnsignedRating, EXAMPLE_KEY);
export const exampleRatingBatch: RatingBatch = { v: 1, ratings: [exampleRating] };
export const exampleAck: Ack = { v: 1, at: '2026-11-21T02:15:30.410Z', items: [{ id: exampleRating.id, result: 'stored' }] };

export const exampleStatusOnline: DeviceStatus = { v: 1, state: 'online', at: '2026-11-21T00:00:05.000Z', bootId: 'b7e1c2d4', monoMs: 86_400_123 };
export const exampleStatusLwt: DeviceStatus = { v: 1, state: 'offline', at: '2026-11-21T00:00:05.000Z', reason: 'lwt', bootId: 'b7e1c2d4' };

export const exampleTelemetry: Telemetry = {
  v: 1,
  at: '2026-11-21T02:16:00.000Z',
  uptimeS: 8160,
  backlog: 0,
  oldestUnsyncedAgeS: null,
  lastAckAt: '2026-11-21T02:15:30.410Z',
  input: { driver: 'serial', state: 'ready', dropped: 3 },
  session: 'idle',
  diskFreeBytes: 12_884_901_888,
  cpuTempC: 47.2,
  clock: { trusted: true, source: 'ntp', bootId: 'b7e1c2d4', monoMs: 8_160_000 },
  rssBytes: 61_000_000,
  versions: { app: '0.1.0', node: 'v20.19.2', protocol: 1, indicators: '2026.11' },
};

export const exampleCommands: Command[] = [
  {
    v: 1, id: '019a8f3c-0000-7000-8000-000000000001', at: '2026-11-21T02:14:00.000Z', type: 'session.start',
    args: {
      sessionId: 's-20261121-0001',
      caseNumbers: ['330100-2026-000123', '330100-2026-000124'],
      staff: { id: 'staff-007', name: '王晓燕', number: 'A0107', photoUrl: '/api/staff/staff-007/photo', starLevel: 5 },
      item: { code: '330100-000-XK-001', name: '食品经营许可' },
      rateUrl: 'http://hub.local:8080/m/r/eyJzIjoicy0yMDI2MTEyMS0wMDAxIn0.sig',
      expiresAt: '2026-11-21T02:24:00.000Z',
    },
  },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000002', at: '2026-11-21T02:14:30.000Z', type: 'session.cancel', args: { sessionId: 's-20261121-0001', reason: '群众离开' } },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000003', at: '2026-11-21T02:00:00.000Z', type: 'config.update', args: { settings: { responseIntervalMs: 5000, walkUp: 'refuse' } } },
  {
    v: 1, id: '019a8f3c-0000-7000-8000-000000000004', at: '2026-11-21T02:00:00.000Z', type: 'indicators.set',
    args: { list: { version: '2026.11', items: [{ code: '501', name: '服务态度差', group: '服务态度' }, { code: '510', name: '办事效率低', group: '服务效率' }] } },
  },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000005', at: '2026-11-21T02:00:00.000Z', type: 'time.sync', args: { now: '2026-11-21T02:00:00.000Z', nowMs: 1_795_226_400_000, echo: { bootId: 'b7e1c2d4', monoMs: 86_400_123 } } },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000006', at: '2026-11-21T02:00:00.000Z', type: 'display.message', args: { text: '本窗口暂停服务，请到3号窗口办理', seconds: 600 } },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000007', at: '2026-11-21T02:00:00.000Z', type: 'reboot', args: {} },
  { v: 1, id: '019a8f3c-0000-7000-8000-000000000008', at: '2026-11-21T02:00:00.000Z', type: 'decommission', args: {} },
];

export const exampleCommandResult: CommandResult = {
  v: 1, commandId: '019a8f3c-0000-7000-8000-000000000001', type: 'session.start', ok: true, at: '2026-11-21T02:14:00.120Z',
};
export const exampleCommandRefused: CommandResult = {
  v: 1, commandId: '019a8f3c-0000-7000-8000-000000000002', type: 'session.cancel', ok: false, code: 'HCP_SESSION_NONE', detail: 'no session s-20261121-0001', at: '2026-11-21T02:14:30.050Z',
};
export const exampleEvent: DeviceEvent = {
  v: 1, at: '2026-11-21T02:15:30.130Z', type: 'session.ended', sessionId: 's-20261121-0001', outcome: 'rated', ratingId: exampleRating.id,
};

export const exampleProvisionRequest: ProvisionRequest = { v: 1, claimCode: '7K3M-Q9XD', hardwareId: '10000000a3b2c1d0', model: 'Raspberry Pi 4 Model B', appVersion: '0.1.0' };
export const exampleProvisionResponse: ProvisionResponse = {
  v: 1,
  hallId: 'hall-1',
  deviceId: 'dev-0001',
  windowId: 'w-01',
  mqtt: { url: 'mqtt://hub.local:1883', username: 'dev-0001', password: 'Zq4xT1uYb8N2kLwP0aVc7sRe', clientId: 'hcp-hall-1-dev-0001' },
  signingKey: EXAMPLE_KEY,
  hubUrl: 'http://hub.local:8080',
  settings: { responseIntervalMs: 3000, promptTimeoutS: 120, reasonTimeoutS: 60, thanksS: 5, badReviewWithoutReason: 'accept-flagged', walkUp: 'refuse', telemetryIntervalS: 30 },
  indicators: { version: '2026.11', items: [{ code: '501', name: '服务态度差', group: '服务态度' }] },
};

export const exampleSessionOpen: SessionOpenRequest = {
  windowId: 'w-01',
  caseNumbers: ['330100-2026-000123'],
  item: { code: '330100-000-XK-001', name: '食品经营许可' },
  staffId: 'staff-007',
  applicant: { name: '张三', idType: '111', idNumber: '330102199001011234', phone: '13800000000', userType: 'person' },
  caseStatus: 'completed',
  promiseKind: 'immediate',
};
