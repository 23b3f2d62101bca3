/**
 * Device benchmark: `npm run bench -w device [-- --presses N --drain N --batch N --mqtt URL --runs N]`
 * (env: HCP_BENCH_PRESSES, HCP_BENCH_DRAIN, HCP_BENCH_MQTT_URL). Each figure is printed beside the
 * raw capability of the layer below, measured in the same run, and the ratio.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { latency } from './latency.js';
import { drain } from './drain.js';
import { startup } from './startup.js';
import { printTable, progress, type Figure } from './stats.js';

const { values: v } = parseArgs({
  options: {
    presses: { type: 'string' },
    drain: { type: 'string' },
    batch: { type: 'string' },
    mqtt: { type: 'string' },
    runs: { type: 'string' },
    idle: { type: 'string' },
    dir: { type: 'string' },
    'json-out': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (v.help) {
  console.log(`usage: npm run bench -w device -- [--presses 10000] [--drain 100000] [--batch 100] [--mqtt URL] [--runs 3] [--dir DIR]
  --presses  presses for the latency figure (env HCP_BENCH_PRESSES)
  --drain    ratings in the backlog to drain (env HCP_BENCH_DRAIN)
  --batch    ratings per MQTT message
  --mqtt     use this broker (e.g. Mosquitto) instead of an aedes broker in a child process (env HCP_BENCH_MQTT_URL)
  --runs     process starts for the start-time median
  --idle     seconds of idling before the steady RSS is read (default 30)
  --dir      where the SQLite files go (the disk measured; default the OS temp dir)
  --json-out FILE  also write the figures as JSON (read by the root \`npm run bench\` report)
  env HCP_BENCH_WINDOW: batches in flight during the drain (default 8)`);
  process.exit(0);
}
const num = (s: string | undefined, env: string | undefined, d: number): number => Number(s ?? env ?? d);
// 10,000 presses: the p99 then rests on 100 samples, not 20 (with 2,000 it swung 1.05-1.8x run to run on this disk).
const presses = num(v.presses, process.env.HCP_BENCH_PRESSES, 10_000);
const drainN = num(v.drain, process.env.HCP_BENCH_DRAIN, 100_000);
const batch = num(v.batch, undefined, 100);
const runs = num(v.runs, undefined, 3);
const dir = v.dir ?? tmpdir();
const mqttUrl = v.mqtt ?? process.env.HCP_BENCH_MQTT_URL ?? null;

progress(`node ${process.version}; disk dir ${dir}; presses ${presses}; drain ${drainN}; batch ${batch}; broker ${mqttUrl ?? 'aedes (child process)'}`);
const lat = await latency(presses, dir);
const dr = await drain(drainN, dir, mqttUrl, batch);
const st = await startup(dir, runs, num(v.idle, undefined, 30) * 1000);

const figures: Figure[] = [
  { id: 'device.latency.p50', name: 'press→committed p50', value: lat.press.p50, unit: 'ms', baselineName: 'bare FULL insert p50', baseline: lat.bare.p50, target: 'ratio ≤ 1.5×', ok: lat.press.p50 <= 1.5 * lat.bare.p50 },
  { id: 'device.latency.p99', name: 'press→committed p99', value: lat.press.p99, unit: 'ms', baselineName: 'bare FULL insert p99', baseline: lat.bare.p99, target: 'ratio ≤ 1.5×', ok: lat.press.p99 <= 1.5 * lat.bare.p99 },
  { id: 'device.drain', name: `backlog drain (${dr.n})`, value: dr.drainPerS, unit: 'ratings/s', baselineName: 'raw QoS1 pub→sub, same payloads', baseline: dr.rawPerS, target: '≥ 5,000/s', ok: dr.drainPerS >= 5000 },
  { id: 'device.start', name: 'start to ready', value: st.startMs, unit: 'ms', baselineName: 'bare node start', baseline: st.bareStartMs, target: '≤ 1,500 ms', ok: st.startMs <= 1500 },
  { id: 'device.rss.early', name: 'RSS 3 s after ready', value: st.rssEarlyMb, unit: 'MB', baselineName: 'bare node idle', baseline: st.bareRssMb, target: '(not idle yet)', ok: true },
  { id: 'device.rss.idle', name: 'idle RSS (steady)', value: st.rssMb, unit: 'MB', baselineName: 'bare node idle', baseline: st.bareRssMb, target: '≤ 80 MB', ok: st.rssMb <= 80 },
];
printTable(figures);
console.log(`drain: ${dr.n} ratings in ${dr.seconds.toFixed(2)} s, batches of ${dr.batchSize}; peer saw ${JSON.stringify(dr.peer)}`);
if (v['json-out']) {
  const settings = { presses, drain: drainN, batch, runs, idleS: num(v.idle, undefined, 30), dir, broker: mqttUrl ?? 'aedes (child process)' };
  writeFileSync(v['json-out'], `${JSON.stringify({ bench: 'device', node: process.version, settings, figures, drain: dr }, null, 2)}\n`);
}
