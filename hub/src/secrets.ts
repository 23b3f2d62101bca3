/**
 * Secrets the hub makes for itself at first start and keeps in the data dir (mode 0600):
 * its own privileged MQTT credentials (the hub always talks MQTT through a client, embedded broker
 * or not) and the key that signs mobile rating links.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface HubSecrets {
  readonly mqtt: { readonly username: string; readonly password: string; readonly clientId: string };
  readonly linkKey: string;
}

export function loadSecrets(dataDir: string): HubSecrets {
  const file = join(dataDir, 'hub-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as HubSecrets;
  const s: HubSecrets = {
    // '$' cannot start a device id, so the hub's username never collides with a device
    mqtt: { username: '$hcp-hub', password: randomBytes(32).toString('base64url'), clientId: `hcp-hub-${randomBytes(4).toString('hex')}` },
    linkKey: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}
