import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { HcpError, formatErrors, validate } from '@hcp/protocol';
import { DeviceConfigSchema, type DeviceConfig } from './schema.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Fills defaults from the schema, validates once (every error listed), freezes. Throws HCP_CONFIG_INVALID. */
export function loadConfig(raw: unknown): Readonly<DeviceConfig> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HcpError('HCP_CONFIG_INVALID', { errors: [{ field: '', rule: 'an object' }] }, { message: 'configuration is invalid: (root): an object' });
  }
  const filled = Value.Default(DeviceConfigSchema, structuredClone(raw));
  const r = validate(DeviceConfigSchema, filled);
  if (!r.ok) throw new HcpError('HCP_CONFIG_INVALID', { errors: r.errors }, { message: `configuration is invalid: ${formatErrors(r.errors)}` });
  const c = r.value;
  const extra: { field: string; rule: string }[] = [];
  if (c.provisioning.pollMaxMs < c.provisioning.pollMinMs) extra.push({ field: '/provisioning/pollMaxMs', rule: '>= pollMinMs' });
  if (c.sync.reconnectMaxMs < c.sync.reconnectMinMs) extra.push({ field: '/sync/reconnectMaxMs', rule: '>= reconnectMinMs' });
  if (extra.length) throw new HcpError('HCP_CONFIG_INVALID', { errors: extra }, { message: `configuration is invalid: ${formatErrors(extra)}` });
  return deepFreeze(c);
}

/** Reads a JSON config file; a missing or unparsable file is HCP_CONFIG_UNREADABLE. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HcpError('HCP_CONFIG_UNREADABLE', { file }, { message: `cannot read configuration file ${file}: ${(err as Error).message}`, cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HcpError('HCP_CONFIG_UNREADABLE', { file }, { message: `configuration file ${file} is not valid JSON: ${(err as Error).message}`, cause: err });
  }
}
