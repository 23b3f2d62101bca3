#!/usr/bin/env node
/**
 * hcp-forward: runs the forward delivery worker alone against a hub database, until SIGTERM/SIGINT.
 * For operations (drain a backlog after an outage without the whole hub), crash tests and
 * benchmarks. The hub itself runs the same worker inside its process.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { HcpError } from '@hcp/protocol';
import { migrate, openDb } from '../db/db.js';
import { DataCrypto, loadKeyRing } from '../crypto/data-key.js';
import { adapterFor } from './adapters/index.js';
import type { ApplicantData } from './mapping.js';
import { ForwardOutbox } from './outbox.js';
import { loadProfileFile } from './profile.js';
import { ForwardWorker, type ApplicantSource } from './worker.js';

const HELP = `hcp-forward — 向省级好差评系统转发评价 (forward delivery worker)

Usage: hcp-forward --db FILE --profile FILE [--data-dir DIR] [--exit-when-drained] [--log-level LEVEL]

  --db FILE             hub database (SQLite); migrations are applied
  --profile FILE        province profile (JSON, see docs/forwarding.md)
  --data-dir DIR        hub data dir holding data-key.json, to decrypt applicant data at send time
                        (without it records are sent without applicant fields)
  --exit-when-drained   exit 0 once nothing is pending (dead letters stay for an operator)
  --log-level LEVEL     fatal|error|warn|info|debug (default info)
  -h, --help            this text

Progress (backlog, delivered, dead letters) is logged every 5 s. Stop with SIGTERM or Ctrl-C:
the request under way is finished and recorded first.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' }, profile: { type: 'string' }, 'data-dir': { type: 'string' },
      'exit-when-drained': { type: 'boolean' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.db || !values.profile) {
    console.error('hcp-forward: --db and --profile are required (see --help)');
    return 2;
  }
  const log = pino({ level: values['log-level'] ?? 'info', base: { svc: 'hcp-forward' } });
  let profile;
  try {
    profile = loadProfileFile(values.profile);
  } catch (err) {
    console.error(`hcp-forward: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const db = openDb(values.db);
  await migrate(db);
  let applicants: ApplicantSource = () => null;
  if (values['data-dir']) {
    const crypto = new DataCrypto(loadKeyRing(values['data-dir']));
    const q = db.prepare('SELECT applicant_enc FROM sessions WHERE id = ?');
    applicants = (id) => {
      const r = q.get(id) as { applicant_enc: string | null } | undefined;
      return r?.applicant_enc ? (JSON.parse(crypto.decrypt(r.applicant_enc)) as ApplicantData) : null;
    };
  }
  const outbox = new ForwardOutbox(db);
  const clock = { now: () => Date.now() };
  const worker = new ForwardWorker({ outbox, profile, adapter: adapterFor(profile.adapter), applicants, clock, random: Math.random, log });
  worker.start();
  log.info({ event: 'forward.started', profile: profile.name, adapter: profile.adapter, ...outbox.stats(clock.now()) }, 'forward worker started');

  const done = new Promise<void>((resolve) => {
    const progress = setInterval(() => {
      log.info({ event: 'forward.progress', ...outbox.stats(clock.now()), lastError: worker.status.lastError }, 'forward progress');
    }, 5000);
    const finish = (): void => {
      clearInterval(progress);
      if (drained) clearInterval(drained);
      resolve();
    };
    const drained = values['exit-when-drained'] ? setInterval(() => {
      // backlog() only: stats() also counts delivered rows, a full scan, ten times a second
      if (outbox.backlog(clock.now()).backlog === 0) finish();
    }, 100) : null;
    process.once('SIGTERM', finish);
    process.once('SIGINT', finish);
  });
  await done;
  await worker.stop();
  log.info({ event: 'forward.stopped', ...outbox.stats(clock.now()) }, 'forward worker stopped');
  db.close();
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(err instanceof HcpError ? `hcp-forward: ${err.code}: ${err.message}` : err);
    process.exitCode = 1;
  },
);
