/**
 * MQTT topics: the only place they are spelled.
 *
 *   hcp/v1/{hallId}/{deviceId}/{kind}
 *
 * kinds a device publishes: ratings, status (retained, LWT), telemetry, results, events
 * kinds a device subscribes: commands, acks
 * The hub subscribes to `hcp/v1/{hallId}/+/{kind}` for the kinds devices publish.
 */
import { HcpError } from './errors.js';
import { isDeviceId, isHallId } from './ids.js';

export const TOPIC_ROOT = 'hcp';
export const TOPIC_VERSION = 'v1';

export const DEVICE_PUBLISHES = ['ratings', 'status', 'telemetry', 'results', 'events'] as const;
export const DEVICE_SUBSCRIBES = ['commands', 'acks'] as const;
export const TOPIC_KINDS = [...DEVICE_PUBLISHES, ...DEVICE_SUBSCRIBES] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
export type DevicePublishKind = (typeof DEVICE_PUBLISHES)[number];

export interface TopicAddress {
  readonly hallId: string;
  readonly deviceId: string;
  readonly kind: TopicKind;
}

export function isTopicKind(s: string): s is TopicKind {
  return (TOPIC_KINDS as readonly string[]).includes(s);
}

/** Builds a concrete topic. Throws HCP_ID_INVALID on a bad id: that is a programming error. */
export function buildTopic(hallId: string, deviceId: string, kind: TopicKind): string {
  if (!isHallId(hallId)) throw new HcpError('HCP_ID_INVALID', { hallId });
  if (!isDeviceId(deviceId)) throw new HcpError('HCP_ID_INVALID', { deviceId });
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${hallId}/${deviceId}/${kind}`;
}

/** The hub's subscription filter for one kind across a hall's devices. */
export function hallFilter(hallId: string, kind: DevicePublishKind): string {
  if (!isHallId(hallId)) throw new HcpError('HCP_ID_INVALID', { hallId });
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${hallId}/+/${kind}`;
}

export type ParsedTopic = { ok: true; topic: TopicAddress } | { ok: false; code: 'HCP_TOPIC_INVALID'; reason: string };

/** Parses a concrete topic (no wildcards). Never throws. */
export function parseTopic(topic: string): ParsedTopic {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 256) return bad('length');
  if (topic.includes('+') || topic.includes('#')) return bad('wildcard');
  const parts = topic.split('/');
  if (parts.length !== 5) return bad('segment count');
  const [root, version, hallId, deviceId, kind] = parts as [string, string, string, string, string];
  if (root !== TOPIC_ROOT) return bad('root');
  if (version !== TOPIC_VERSION) return bad('version');
  if (!isHallId(hallId)) return bad('hall id');
  if (!isDeviceId(deviceId)) return bad('device id');
  if (!isTopicKind(kind)) return bad('kind');
  return { ok: true, topic: { hallId, deviceId, kind } };
}

function bad(reason: string): ParsedTopic {
  return { ok: false, code: 'HCP_TOPIC_INVALID', reason };
}

export interface DeviceIdentity {
  readonly hallId: string;
  readonly deviceId: string;
}

/** ACL: a device may publish only its own publish-kinds. */
export function mayDevicePublish(who: DeviceIdentity, topic: string): boolean {
  const p = parseTopic(topic);
  return p.ok && p.topic.hallId === who.hallId && p.topic.deviceId === who.deviceId && (DEVICE_PUBLISHES as readonly string[]).includes(p.topic.kind);
}

/** ACL: a device may subscribe only to its own commands and acks, with no wildcards. */
export function mayDeviceSubscribe(who: DeviceIdentity, filter: string): boolean {
  const p = parseTopic(filter);
  return p.ok && p.topic.hallId === who.hallId && p.topic.deviceId === who.deviceId && (DEVICE_SUBSCRIBES as readonly string[]).includes(p.topic.kind);
}
