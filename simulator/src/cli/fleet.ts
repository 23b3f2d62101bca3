/**
 * `hcp-sim fleet`: N real device runtimes with simulated citizens against a real hub, faults on
 * demand, progress each second and a final tally (given / stored / lost / double-counted).
 */
import { seededRandom } from '../business/random.js';
import { DEFAULT_LEVEL_WEIGHTS, parseLevelWeights } from '../fleet/citizen.js';
import { Fleet } from '../fleet/fleet.js';
import { hubTarget, num, oneOf, parse, str, UsageError, type Io } from './args.js';

export const summary = 'N simulated counter devices with citizens and faults';

export const help = `hcp-sim fleet — 模拟评价器集群 (a fleet of simulated counter devices)

Usage: hcp-sim fleet --hub URL --token T [options]

Starts N real device runtimes, each in its own process with its own outbox file and MQTT
connection, provisioned through the hub's claim-code flow (windows w-01… and staff are created on
the hub when missing). Simulated citizens press stars (and reasons for 差评) after some thought.
Stop with Ctrl-C, or after --duration; the fleet then drains and prints the tally:
ratings given (citizen saw "thank you"), stored by the hub, lost (must be 0), double-counted (must be 0).

Options:
  --hub URL              hub base URL (required)
  --token T              hub API token that may manage the registry and devices (or env HCP_HUB_TOKEN)
  --devices N            number of devices (default 12)
  --hall-id ID           the hub's hall (default hall-1)
  --data-dir DIR         device data folders (default ./.hcp-data/fleet)
  --sessions MODE        staff-key: staff opens each session on the device (default);
                         business: sessions come from the hub (run hcp-sim business too)
  --levels SPEC          level weights, default ${Object.entries(DEFAULT_LEVEL_WEIGHTS).reverse().map(([l, w]) => `${l}:${w}`).join(',')}
  --think-min MS         shortest think time before a press (default 300)
  --think-max MS         longest think time (default 1500)
  --kill-every S         SIGKILL a random device every S seconds; it restarts at once (default off)
  --partition E:F[:MODE] every E seconds cut the network between devices and broker for F seconds
                         (MODE drop, the default, or stall); needs --mqtt-url
  --mqtt-url URL         the hub's broker as devices reach it (printed by the hub; needed by --partition)
  --clock-skew MS        device clocks are off by MS and untrusted; the hub corrects them (default 0)
  --duration S           run S seconds, then drain and print the tally (default: until Ctrl-C)
  --seed N               PRNG seed (default: time-based; printed at start)
  --quiet                no progress lines
  -h, --help             this text

Exit code: 0 when nothing was lost or double-counted, 1 otherwise, 2 usage errors.
`;

const options = {
  hub: { type: 'string' }, token: { type: 'string' }, devices: { type: 'string' }, 'hall-id': { type: 'string' },
  'data-dir': { type: 'string' }, sessions: { type: 'string' }, levels: { type: 'string' }, 'think-min': { type: 'string' },
  'think-max': { type: 'string' }, 'kill-every': { type: 'string' }, 'clock-skew': { type: 'string' }, partition: { type: 'string' }, 'mqtt-url': { type: 'string' }, duration: { type: 'string' },
  seed: { type: 'string' }, quiet: { type: 'boolean' },
} as const;

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const v = parse(argv, options);
  if (v.help) {
    io.out(help);
    return 0;
  }
  const { hub, token } = hubTarget(v);
  const levelsRaw = str(v, 'levels');
  const levels = levelsRaw === undefined ? DEFAULT_LEVEL_WEIGHTS : parseLevelWeights(levelsRaw);
  if (!levels) throw new UsageError('--levels must look like 5:70,4:15,3:8,2:4,1:3');
  const thinkMin = num(v, 'think-min', { integer: true, min: 0, max: 600_000 }) ?? 300;
  const thinkMax = num(v, 'think-max', { integer: true, min: 0, max: 600_000 }) ?? 1500;
  if (thinkMax < thinkMin) throw new UsageError('--think-max must be ≥ --think-min');
  const seed = num(v, 'seed', { integer: true, min: 0 }) ?? Date.now() % 2 ** 31;
  const duration = num(v, 'duration', { min: 1 });
  const quiet = v.quiet === true;
  const partition = parsePartition(str(v, 'partition'));
  const mqttUrl = str(v, 'mqtt-url');
  if (partition && !mqttUrl) throw new UsageError('--partition needs --mqtt-url (the hub broker address)');
  const fleet = new Fleet({
    hubUrl: hub,
    token,
    hallId: str(v, 'hall-id') ?? 'hall-1',
    devices: num(v, 'devices', { integer: true, min: 1, max: 500 }) ?? 12,
    dataDir: str(v, 'data-dir') ?? '.hcp-data/fleet',
    random: seededRandom(seed),
    seed,
    thinkMs: [thinkMin, thinkMax],
    levels,
    sessions: oneOf(v, 'sessions', ['staff-key', 'business'] as const) ?? 'staff-key',
    killEveryS: num(v, 'kill-every', { min: 0.1 }) ?? 0,
    clockSkewMs: num(v, 'clock-skew', { integer: true }) ?? 0,
    ...(partition ? { partition } : {}),
    ...(mqttUrl ? { mqttUrl } : {}),
    log: (line) => { if (!quiet) io.out(line); },
  });
  io.out(`fleet → ${hub} (seed ${seed})`);
  await fleet.start();
  if (duration !== undefined) await Promise.race([new Promise((r) => setTimeout(r, duration * 1000)), io.stopSignal()]);
  else await io.stopSignal();
  io.out('[fleet] draining: waiting for every device to empty its outbox');
  const drained = await fleet.drain(60_000);
  const t = await fleet.tally();
  await fleet.stop();
  io.out(`[fleet] tally: given ${t.given}, stored by the hub ${t.stored}, lost ${t.lost}, double-counted ${t.doubleCounted}, kills ${t.kills}, partitions ${t.partitions}${drained ? '' : ' (not fully drained)'}`);
  return t.lost === 0 && t.doubleCounted === 0 ? 0 : 1;
}

export function parsePartition(raw: string | undefined): { everyS: number; forS: number; mode: 'drop' | 'stall' } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?::(drop|stall))?$/.exec(raw);
  const everyS = Number(m?.[1]);
  const forS = Number(m?.[2]);
  if (!m || !(everyS > 0) || !(forS > 0) || forS >= everyS) throw new UsageError('--partition must be EVERY:FOR[:drop|stall] seconds with FOR < EVERY, e.g. 20:5');
  return { everyS, forS, mode: m[3] === 'stall' ? 'stall' : 'drop' };
}
