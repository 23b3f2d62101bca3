/**
 * `hcp-sim business`: a window business / queue system that opens sessions on the hub's windows
 * at a given rate, printing progress each second and a final tally.
 */
import pino from 'pino';
import { HubListError } from '../business/hub-client.js';
import { seededRandom } from '../business/random.js';
import { BusinessSimulator, type BusinessStats } from '../business/simulator.js';
import { hubTarget, list, num, parse, str, UsageError, type Io } from './args.js';

export const summary = 'a business/queue system that opens rating sessions on the hub at a given rate';

export const help = `hcp-sim business — 模拟窗口业务/排队叫号系统 (business / queue system simulator)

Usage: hcp-sim business --hub URL --token T [options]

Opens rating sessions on the hub's windows: POST {hub}/api/sessions with a SessionOpenRequest
(Authorization: Bearer T). Windows and staff come from GET {hub}/api/windows and GET {hub}/api/staff
unless --windows / --staff are given. Stop with Ctrl-C, or after --limit sessions.

Options:
  --hub URL              hub base URL, e.g. http://127.0.0.1:8080 (required)
  --token T              hub API token with the business role (or env HCP_HUB_TOKEN)
  --list-token T         token that may read windows and staff (operator/auditor role; the hub
                         does not let a business token list them); env HCP_HUB_LIST_TOKEN;
                         default --token
  --rate N               sessions per second (default 1)
  --limit N              stop after N sessions
  --windows LIST         comma-separated window ids (default: from the hub)
  --staff LIST           comma-separated staff ids for windows without assigned staff
  --batch-share R        share of batch business sessions, 0..1 (default 0.2)
  --max-batch-cases N    most case numbers in a batch session, 2..100 (default 5)
  --applicant-share R    share of sessions with applicant data (default 1)
  --company-share R      share of applicants that are companies (default 0.15)
  --area-code NNNNNN     first six digits of case numbers (default 330100)
  --window-gap SECONDS   least time between two sessions on one window (default 0)
  --max-in-flight N      most unanswered requests at once (default 16)
  --seed N               PRNG seed (default: time-based; printed at start)
  --quiet                no progress lines
  -h, --help             this text

Exit code: 0 when every session was opened, 1 when some were rejected or failed, 2 usage errors.
`;

const options = {
  hub: { type: 'string' }, token: { type: 'string' }, 'list-token': { type: 'string' }, rate: { type: 'string' }, limit: { type: 'string' },
  windows: { type: 'string' }, staff: { type: 'string' }, 'batch-share': { type: 'string' }, 'max-batch-cases': { type: 'string' },
  'applicant-share': { type: 'string' }, 'company-share': { type: 'string' }, 'area-code': { type: 'string' },
  'max-in-flight': { type: 'string' }, 'window-gap': { type: 'string' }, seed: { type: 'string' }, quiet: { type: 'boolean' },
} as const;

export function progressLine(s: BusinessStats, elapsedS: number): string {
  const codes = Object.entries(s.byCode).map(([k, n]) => `${k}=${n}`).join(' ');
  return `[${elapsedS}s] opened ${s.opened} · rejected ${s.rejected} · failed ${s.failed} · in flight ${s.inFlight} · cases ${s.cases} (batch sessions ${s.batchSessions})${codes ? ` · ${codes}` : ''}`;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const v = parse(argv, options);
  if (v.help) {
    io.out(help);
    return 0;
  }
  const { hub, token } = hubTarget(v);
  const areaCode = str(v, 'area-code');
  if (areaCode !== undefined && !/^\d{6}$/.test(areaCode)) throw new UsageError('--area-code must be 6 digits');
  const seed = num(v, 'seed', { integer: true, min: 0 }) ?? Date.now() % 2 ** 31;
  const limit = num(v, 'limit', { integer: true, min: 1 });
  const sim = new BusinessSimulator({
    hubUrl: hub,
    token,
    listToken: str(v, 'list-token') ?? process.env.HCP_HUB_LIST_TOKEN ?? token,
    ratePerSec: num(v, 'rate', { min: 0.001, max: 10_000 }) ?? 1,
    ...(limit !== undefined ? { limit } : {}),
    ...(list(v, 'windows') ? { windows: list(v, 'windows') } : {}),
    ...(list(v, 'staff') ? { staff: list(v, 'staff') } : {}),
    batchShare: num(v, 'batch-share', { min: 0, max: 1 }) ?? 0.2,
    maxBatchCases: num(v, 'max-batch-cases', { min: 2, max: 100, integer: true }) ?? 5,
    applicantShare: num(v, 'applicant-share', { min: 0, max: 1 }) ?? 1,
    companyShare: num(v, 'company-share', { min: 0, max: 1 }) ?? 0.15,
    windowGapMs: (num(v, 'window-gap', { min: 0, max: 86_400 }) ?? 0) * 1000,
    maxInFlight: num(v, 'max-in-flight', { min: 1, max: 1000, integer: true }) ?? 16,
    ...(areaCode ? { areaCode } : {}),
    random: seededRandom(seed),
    logger: pino({ name: 'hcp-sim-business', level: 'warn' }, pino.destination(2)),
  });
  io.out(`business simulator → ${hub} (seed ${seed})`);
  try {
    await sim.start();
  } catch (err) {
    if (err instanceof HubListError || err instanceof RangeError) {
      io.err(`hcp-sim business: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const t0 = Date.now();
  const timer = v.quiet ? null : setInterval(() => io.out(progressLine(sim.stats(), Math.round((Date.now() - t0) / 1000))), 1000);
  const how = await Promise.race([sim.finished().then(() => 'limit reached'), io.stopSignal()]);
  if (timer) clearInterval(timer);
  await sim.stop();
  const s = sim.stats();
  io.out(`${how}: ${progressLine(s, Math.round((Date.now() - t0) / 1000))}`);
  return s.rejected + s.failed > 0 ? 1 : 0;
}
