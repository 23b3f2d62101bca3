import { randomBytes } from 'node:crypto';
import type { ProvisionResponse } from '@hcp/protocol';

export function identity(mqttUrl: string, deviceId: string): ProvisionResponse {
  return {
    v: 1,
    hallId: 'hall-bench',
    deviceId,
    windowId: 'w-01',
    mqtt: { url: mqttUrl, username: deviceId, password: randomBytes(16).toString('hex'), clientId: `hcp-${deviceId}` },
    signingKey: randomBytes(32).toString('base64url'),
    hubUrl: 'http://127.0.0.1:1',
    settings: {},
    indicators: { version: 'bench', items: [{ code: 'A01', name: '服务态度差' }] },
  };
}
