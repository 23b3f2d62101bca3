/**
 * Adapter registry. Adding a province: write adapters/<name>.ts implementing ProvinceAdapter and
 * add it to this table (or pass it in `extraAdapters` to `adapterFor`).
 */
import { HcpError } from '@hcp/protocol';
import type { ProvinceAdapter } from '../adapter.js';
import { genericJson } from './generic-json.js';
import { signedEnvelope } from './signed-envelope.js';

export const ADAPTERS: Readonly<Record<string, ProvinceAdapter>> = {
  [genericJson.name]: genericJson,
  [signedEnvelope.name]: signedEnvelope,
};

export function adapterFor(name: string, extraAdapters: readonly ProvinceAdapter[] = []): ProvinceAdapter {
  const a = extraAdapters.find((x) => x.name === name) ?? ADAPTERS[name];
  if (!a) throw new HcpError('HCP_CONFIG_INVALID', { what: 'province profile', errors: [{ field: '/adapter', rule: `one of: ${Object.keys(ADAPTERS).join(', ')}` }] });
  return a;
}
