import { describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import {
  Ack, Command, CommandResult, DeviceEvent, DeviceStatus, ProvisionRequest, ProvisionResponse, Rating, RatingBatch,
  SessionOpenRequest, Telemetry, decodeJson, validate,
} from '../src/index.js';
import * as ex from '../src/examples.js';

const valid: [string, TSchema, unknown][] = [
  ['Rating', Rating, ex.exampleRating],
  ['RatingBatch', RatingBatch, ex.exampleRatingBatch],
  ['Ack', Ack, ex.exampleAck],
  ['DeviceStatus online', DeviceStatus, ex.exampleStatusOnline],
  ['DeviceStatus lwt', DeviceStatus, ex.exampleStatusLwt],
  ['Telemetry', Telemetry, ex.exampleTelemetry],
  ...ex.exampleCommands.map((c): [string, TSchema, unknown] => [`Command ${c.type}`, Command, c]),
  ['CommandResult ok', CommandResult, ex.exampleCommandResult],
  ['CommandResult refused', CommandResult, ex.exampleCommandRefused],
  ['DeviceEvent', DeviceEvent, ex.exampleEvent],
  ['ProvisionRequest', ProvisionRequest, ex.exampleProvisionRequest],
  ['ProvisionResponse', ProvisionResponse, ex.exampleProvisionResponse],
  ['SessionOpenRequest', SessionOpenRequest, ex.exampleSessionOpen],
];

describe('every example validates against its schema', () => {
  it.each(valid)('%s', (_name, schema, value) => {
    const r = validate(schema, value);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});

const r = ex.exampleRating;
const invalid: [string, TSchema, unknown, string][] = [
  ['level 0', Rating, { ...r, level: 0 }, '/level'],
  ['level 6', Rating, { ...r, level: 6 }, '/level'],
  ['id not uuidv7', Rating, { ...r, id: '019a8f3c-5e2b-4c4d-8a1b-2c3d4e5f6a7b' }, '/id'],
  ['hall id with slash', Rating, { ...r, hallId: 'hall/1' }, '/hallId'],
  ['device id with wildcard', Rating, { ...r, deviceId: 'dev+1' }, '/deviceId'],
  ['case number too long', Rating, { ...r, caseNumbers: ['x'.repeat(51)] }, '/caseNumbers/0'],
  ['duplicate case numbers', Rating, { ...r, caseNumbers: ['a', 'a'] }, '/caseNumbers'],
  ['unknown channel', Rating, { ...r, channel: 8 }, '/channel'],
  ['assessNumber 3', Rating, { ...r, assessNumber: 3 }, '/assessNumber'],
  ['extra field', Rating, { ...r, extra: 1 }, '/extra'],
  ['missing sig', Rating, { ...r, sig: undefined }, '/sig'],
  ['bad givenAt', Rating, { ...r, givenAt: '21/11/2026' }, '/givenAt'],
  ['seq 0', Rating, { ...r, seq: 0 }, '/seq'],
  ['unknown flag', Rating, { ...r, flags: ['vip'] }, '/flags/0'],
  ['empty batch', RatingBatch, { v: 1, ratings: [] }, '/ratings'],
  ['ack with unknown result', Ack, { ...ex.exampleAck, items: [{ id: r.id, result: 'maybe' }] }, '/items/0/result'],
  ['status state', DeviceStatus, { ...ex.exampleStatusOnline, state: 'sleeping' }, '/state'],
  ['telemetry negative backlog', Telemetry, { ...ex.exampleTelemetry, backlog: -1 }, '/backlog'],
  ['unknown command', Command, { ...ex.exampleCommands[6], type: 'format-disk' }, '/type'],
  ['session.start without cases', Command, { ...ex.exampleCommands[0], args: { ...(ex.exampleCommands[0] as { args: object }).args, caseNumbers: [] } }, '/args/caseNumbers'],
  ['claim code lower case', ProvisionRequest, { ...ex.exampleProvisionRequest, claimCode: '7k3m-q9xd' }, '/claimCode'],
  ['short mqtt password', ProvisionResponse, { ...ex.exampleProvisionResponse, mqtt: { ...ex.exampleProvisionResponse.mqtt, password: 'short' } }, '/mqtt/password'],
  ['applicant bad id type', SessionOpenRequest, { ...ex.exampleSessionOpen, applicant: { ...ex.exampleSessionOpen.applicant, idType: 'ID' } }, '/applicant/idType'],
];

describe('invalid messages name the field and the rule', () => {
  it.each(invalid)('%s', (_name, schema, value, field) => {
    const res = validate(schema, value);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.errors.map((e) => e.field)).toContain(field);
      for (const e of res.errors) expect(e.rule.length).toBeGreaterThan(0);
    }
  });
});

describe('decodeJson', () => {
  it.each([
    ['not JSON', '{"v":1,', 'HCP_JSON_MALFORMED'],
    ['future version', '{"v":2}', 'HCP_VERSION_UNSUPPORTED'],
    ['schema', '{"v":1}', 'HCP_VALIDATION'],
    ['too large', `{"v":1,"x":"${'a'.repeat(300_000)}"}`, 'HCP_PAYLOAD_TOO_LARGE'],
    ['binary garbage', Buffer.from([0xff, 0x00, 0x13]), 'HCP_JSON_MALFORMED'],
  ] as const)('%s → %s', (_n, payload, code) => {
    const res = decodeJson(RatingBatch, payload);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.code).toBe(code);
  });
  it('accepts a valid batch from bytes', () => {
    const res = decodeJson(RatingBatch, Buffer.from(JSON.stringify(ex.exampleRatingBatch)));
    expect(res.ok).toBe(true);
  });
});
