/**
 * `hcp-hub`: run the hub, or an operations subcommand.
 *
 *   hcp-hub [--data-dir D] [--http-port 8080] [--mqtt-port 1883 | --mqtt-url URL] [--config FILE] …
 *   hcp-hub backup --out FILE           consistent copy of the database while the hub runs
 *   hcp-hub create-user --username U --role R [--password P | password on stdin]
 *   hcp-hub create-token --name N --role business|broker|operator|auditor
 *   hcp-hub migrate                     apply database migrations and exit
 *   hcp-hub mosquitto-config --out-dir D  passwd + acl files for an external Mosquitto
 *   hcp-hub rotate-key [--prune]        re-encrypt personal data under a new data key (docs/personal-data.md)
 */
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHcpError } from '@hcp/protocol';
import { makeConfig, type HubConfig } from './config.js';
import { runServer } from './server.js';
import { migrate, openDb } from './db/db.js';
import { AuditLog } from './audit.js';
import { Operators } from './auth/operators.js';
import { systemClock } from './clock.js';
import { ROLES, TOKEN_ROLES, type Role } from './registry/schemas.js';
import { writeMosquittoFiles } from './broker/mosquitto.js';
import { loadSecrets } from './secrets.js';
import { rotateDataKey } from './privacy/rotate.js';

const HELP = `hcp-hub — 好差评大厅中心 (hall hub): broker, ingest, registry, provisioning, sessions API

Usage: hcp-hub [options]                 run the hub
       hcp-hub <command> [options]

Options:
  --data-dir DIR       database, keys and credentials (default ./hcp-data)
  --http-port N        HTTP port (default 8080; 0 = any free port)
  --mqtt-port N        embedded MQTT broker port (default 1883; 0 = any free port)
  --http-host ADDR     HTTP listen address (default 0.0.0.0)
  --mqtt-host ADDR     embedded broker listen address (default 0.0.0.0)
  --mqtt-url URL       use this external broker instead of the embedded one (e.g. mqtt://127.0.0.1:1883)
  --hall-id ID         the hall this hub runs (default hall-1)
  --public-url URL     hub URL as devices and phones reach it
  --config FILE        JSON config file (any key of the config schema); options override it
  --log-level LEVEL    fatal|error|warn|info|debug|silent
  -h, --help           this help

Commands:
  backup --out FILE                        consistent copy of the database (safe while running)
  create-user --username U --role R [--password P]   R: ${ROLES.join('|')}; password from stdin if omitted
  create-token --name N --role R           R: ${TOKEN_ROLES.join('|')}; prints the token once
  migrate                                  apply database migrations and exit
  rotate-key [--prune]                     new data key, every encrypted value re-encrypted; --prune drops keys no
                                           value uses (run it after the hub restarted); see docs/personal-data.md

On start the hub logs one JSON line with "event":"hub.listening" and httpPort, mqttPort, httpUrl, mqttUrl.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`hcp-hub: ${message}\n`);
  process.exit(code);
}

async function openForCommand(config: HubConfig): Promise<ReturnType<typeof openDb>> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDb(join(config.dataDir, 'hub.db'));
  await migrate(db);
  return db;
}

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'data-dir': { type: 'string' },
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'mqtt-url': { type: 'string' },
        'http-host': { type: 'string' },
        'mqtt-host': { type: 'string' },
        'hall-id': { type: 'string' },
        'public-url': { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        out: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        'out-dir': { type: 'string' },
        prune: { type: 'boolean' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s)) fail(`${what} must be a number, got "${s}"`);
    return Number(s);
  };
  let config: HubConfig;
  try {
    config = makeConfig({
      dataDir: v['data-dir'], httpPort: port(v['http-port'], '--http-port'), mqttPort: port(v['mqtt-port'], '--mqtt-port'), mqttUrl: v['mqtt-url'],
      httpHost: v['http-host'], mqttHost: v['mqtt-host'], hallId: v['hall-id'], publicUrl: v['public-url'], logLevel: v['log-level'],
    }, v.config);
  } catch (err) {
    fail(isHcpError(err) ? `${err.code}: ${err.message}` : String(err));
  }
  const cmd = positionals[0];
  switch (cmd) {
    case undefined:
      try {
        await runServer(config);
      } catch (err) {
        fail(isHcpError(err) ? `${err.code}: ${err.message}` : `failed to start: ${(err as Error).message}`, 1);
      }
      return;
    case 'backup': {
      if (!v.out) fail('backup needs --out FILE');
      const db = await openForCommand(config);
      let last = 0;
      await db.backup(v.out, {
        progress: ({ totalPages, remainingPages }) => {
          const pct = Math.floor(((totalPages - remainingPages) / Math.max(1, totalPages)) * 100);
          if (pct >= last + 10) {
            process.stderr.write(`backup ${pct}%\n`);
            last = pct;
          }
          return 200;
        },
      });
      db.close();
      process.stdout.write(`${JSON.stringify({ event: 'backup.done', out: v.out })}\n`);
      return;
    }
    case 'create-user': {
      if (!v.username || !v.role) fail('create-user needs --username and --role');
      if (!(ROLES as readonly string[]).includes(v.role)) fail(`--role must be one of ${ROLES.join(', ')}`);
      const password = v.password ?? readFileSync(0, 'utf8').trim();
      if (password.length < 10) fail('the password must have at least 10 characters');
      const db = await openForCommand(config);
      const u = new Operators(db, systemClock, new AuditLog(db, systemClock)).createUser({ username: v.username, password, role: v.role as Role }, 'cli');
      db.close();
      process.stdout.write(`${JSON.stringify({ event: 'user.created', ...u })}\n`);
      return;
    }
    case 'create-token': {
      if (!v.name || !v.role) fail('create-token needs --name and --role');
      if (!(TOKEN_ROLES as readonly string[]).includes(v.role)) fail(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
      const db = await openForCommand(config);
      const t = new Operators(db, systemClock, new AuditLog(db, systemClock)).createToken(v.name, v.role as Role, 'cli');
      db.close();
      process.stdout.write(`${JSON.stringify({ event: 'token.created', ...t })}\n`);
      return;
    }
    case 'migrate': {
      const db = await openForCommand(config);
      db.close();
      process.stdout.write(`${JSON.stringify({ event: 'migrated' })}\n`);
      return;
    }
    case 'mosquitto-config': {
      if (!v['out-dir']) fail('mosquitto-config needs --out-dir DIR');
      const db = await openForCommand(config);
      const n = writeMosquittoFiles(db, loadSecrets(config.dataDir).mqtt, config.hallId, v['out-dir']);
      db.close();
      process.stdout.write(`${JSON.stringify({ event: 'mosquitto.files', dir: v['out-dir'], devices: n })}\n`);
      return;
    }
    case 'rotate-key': {
      const db = await openForCommand(config);
      try {
        const r = rotateDataKey(db, config.dataDir, process.env, new AuditLog(db, systemClock), { prune: v.prune === true });
        process.stdout.write(`${JSON.stringify({ event: 'data-key.rotated', ...r })}\n`);
      } catch (err) {
        fail(`rotate-key failed, nothing was re-encrypted: ${(err as Error).message}`, 1);
      } finally {
        db.close();
      }
      return;
    }
    default:
      fail(`unknown command "${cmd}"\n\n${HELP}`);
  }
}
