/**
 * `hcp-sim provincial`: runs the provincial 好差评 simulator (docs/provincial-generic.md) until
 * SIGINT/SIGTERM, printing its counts each second when they change.
 */
import { readFileSync } from 'node:fs';
import { assertValid, IndicatorList } from '@hcp/protocol';
import pino from 'pino';
import { seededRandom } from '../business/random.js';
import { NO_FAULTS, type FaultPatch } from '../provincial/faults.js';
import { PROFILES, ProvincialSimulator, type ProvincialCounts } from '../provincial/server.js';
import { num, oneOf, parse, str, UsageError, type Io } from './args.js';

export const summary = 'a provincial 好差评 endpoint (generic or signed-envelope profile) with faults on demand';

export const help = `hcp-sim provincial — 模拟省级好差评系统 (provincial 好差评 system simulator)

Usage: hcp-sim provincial [options]

Serves the profile described in docs/provincial-generic.md, stores what it accepts in its own
SQLite file, and serves audit counts at GET /sim/counts. Stop with Ctrl-C.

Options:
  --port P                   port to listen on (default 8090; 0 = any free port)
  --host H                   address to bind (default 127.0.0.1)
  --data FILE                SQLite file (default ./hcp-provincial.sqlite)
  --profile NAME             generic | signed-envelope (default generic)
  --app-id ID                app id clients must send (default hcp-hall)
  --app-secret S             app secret / signing key (default hcp-secret)
  --max-batch N              most records per request (default 1000)
  --body-limit BYTES         largest request body (default 8388608)
  --data-source NNN          require this 3-digit dataSource on every record
  --allow-orphan-follow-up   accept assessNumber 2 without a stored first rating
  --indicators FILE          JSON IndicatorList {version, items:[{code,name,group}]} to publish
Faults (all changeable at run time with PUT /sim/faults):
  --fail-rate R              share of requests answered 500/503 before storing (0..1)
  --fail-after-store-rate R  share of batches stored, then answered 504 (0..1)
  --latency MS               delay before each request is handled
  --jitter MS                extra random delay, 0..MS
  --outage-after N           after N requests, an outage begins ...
  --outage-for SECONDS       ... lasting this long (default 30)
  --outage-mode MODE         refuse (503) | reset (cut connection) | hang (default refuse)
  --drop-connection R        share of batches whose connection is cut with no answer (0..1)
  --drop-when WHEN           before-store | after-store | either (default either)
  --duplicate-rate R         share of fresh records answered "duplicate" (stored anyway)
Other:
  --seed N                   seed of the fault PRNG (default 1)
  --quiet                    no progress lines
  -h, --help                 this text
`;

const options = {
  port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, profile: { type: 'string' },
  'app-id': { type: 'string' }, 'app-secret': { type: 'string' }, 'max-batch': { type: 'string' }, 'body-limit': { type: 'string' },
  'data-source': { type: 'string' }, 'allow-orphan-follow-up': { type: 'boolean' }, indicators: { type: 'string' },
  'fail-rate': { type: 'string' }, 'fail-after-store-rate': { type: 'string' }, latency: { type: 'string' }, jitter: { type: 'string' },
  'outage-after': { type: 'string' }, 'outage-for': { type: 'string' }, 'outage-mode': { type: 'string' },
  'drop-connection': { type: 'string' }, 'drop-when': { type: 'string' }, 'duplicate-rate': { type: 'string' },
  seed: { type: 'string' }, quiet: { type: 'boolean' },
} as const;

function faultsFrom(v: ReturnType<typeof parse>): FaultPatch {
  const f: Record<string, unknown> = {
    failRate: num(v, 'fail-rate', { min: 0, max: 1 }),
    failAfterStoreRate: num(v, 'fail-after-store-rate', { min: 0, max: 1 }),
    latencyMs: num(v, 'latency', { min: 0, max: 60_000, integer: true }),
    jitterMs: num(v, 'jitter', { min: 0, max: 60_000, integer: true }),
    outageAfter: num(v, 'outage-after', { min: 0, integer: true }),
    outageForS: num(v, 'outage-for', { min: 0.001, max: 86_400 }),
    outageMode: oneOf(v, 'outage-mode', ['refuse', 'reset', 'hang'] as const),
    dropRate: num(v, 'drop-connection', { min: 0, max: 1 }),
    dropWhen: oneOf(v, 'drop-when', ['before-store', 'after-store', 'either'] as const),
    duplicateRate: num(v, 'duplicate-rate', { min: 0, max: 1 }),
  };
  return Object.fromEntries(Object.entries(f).filter(([, x]) => x !== undefined)) as FaultPatch;
}

function loadIndicators(file: string): IndicatorList {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--indicators: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return assertValid(IndicatorList, JSON.parse(text), 'indicator list');
  } catch (err) {
    throw new UsageError(`--indicators: ${file}: ${(err as Error).message}`);
  }
}

export function progressLine(c: ProvincialCounts): string {
  const r = c.requests;
  return `stored ${c.stored} · accepted ${c.answers.accepted} · duplicate ${c.answers.duplicate} · rejected ${c.answers.rejected} · requests ${r.total} (failed ${r.failed + r.failedAfterStore}, dropped ${r.droppedBeforeStore + r.droppedAfterStore}, outage ${r.outage})`;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const v = parse(argv, options);
  if (v.help) {
    io.out(help);
    return 0;
  }
  const dataSource = str(v, 'data-source');
  if (dataSource !== undefined && !/^\d{3}$/.test(dataSource)) throw new UsageError('--data-source must be 3 digits');
  const indicatorsFile = str(v, 'indicators');
  const sim = new ProvincialSimulator({
    dataFile: str(v, 'data') ?? 'hcp-provincial.sqlite',
    host: str(v, 'host') ?? '127.0.0.1',
    port: num(v, 'port', { min: 0, max: 65_535, integer: true }) ?? 8090,
    profile: oneOf(v, 'profile', PROFILES) ?? 'generic',
    appId: str(v, 'app-id') ?? 'hcp-hall',
    appSecret: str(v, 'app-secret') ?? 'hcp-secret',
    maxBatch: num(v, 'max-batch', { min: 1, max: 100_000, integer: true }) ?? 1000,
    bodyLimit: num(v, 'body-limit', { min: 1024, integer: true }) ?? 8 * 1024 * 1024,
    dataSource,
    allowOrphanFollowUp: v['allow-orphan-follow-up'] === true,
    ...(indicatorsFile ? { indicators: loadIndicators(indicatorsFile) } : {}),
    faults: faultsFrom(v),
    random: seededRandom(num(v, 'seed', { integer: true }) ?? 1),
    logger: pino({ name: 'hcp-sim-provincial' }, pino.destination(2)),
  });
  try {
    await sim.start();
  } catch (err) {
    await sim.stop();
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      io.err(`hcp-sim provincial: HCP_PORT_IN_USE: port ${num(v, 'port') ?? 8090} is already in use (try --port 0 for any free port)`);
      return 1;
    }
    throw err;
  }
  io.out(`provincial simulator (${sim.profile}) listening on ${sim.url}  — counts: ${sim.url}/sim/counts`);
  const { settings } = sim.faults();
  const active = Object.entries(settings).filter(([k, x]) => x !== NO_FAULTS[k as keyof typeof NO_FAULTS]);
  io.out(active.length ? `faults: ${active.map(([k, x]) => `${k}=${String(x)}`).join(' ')}` : 'faults: none');
  let last = '';
  const timer = v.quiet
    ? null
    : setInterval(() => {
        const line = progressLine(sim.counts());
        if (line !== last) io.out(line);
        last = line;
      }, 1000);
  const sig = await io.stopSignal();
  if (timer) clearInterval(timer);
  io.out(`${sig}: stopping; final counts: ${progressLine(sim.counts())}`);
  await sim.stop();
  return 0;
}
