/**
 * `npm run bench -w hub`: builds the hub, then runs the hub benchmarks, each figure beside the
 * raw capability of the layer below measured in the same run (see ingest.ts, heartbeat.ts; the
 * forwarding benchmark is forward.ts from issue 6).
 *
 *   --only ingest|heartbeat|forward   run one part (default: ingest and heartbeat; forward with --only forward or --all)
 *   --devices N        ingest connections (default 500)
 *   --seconds S        ingest measuring window (default 10)
 *   --batch B          ratings per MQTT message (default 1: a device sending each rating as given)
 *   --inflight K       unacked batches per device (default 2)
 *   --pairs P          alternating bare/hub ingest runs (default 3; the summary is the median pair)
 *   --hb-devices N     heartbeating devices (default 5000)
 *   --hb-seconds S     heartbeat window (default 15)
 *   --heartbeat S      telemetry interval per device (default 10)
 *   --all              also run the forwarding benchmark
 *   --json-out FILE    also write the summary (every part's figures) as JSON, for the root `npm run bench` report
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ingestBench } from './ingest.js';
import { heartbeatBench } from './heartbeat.js';
import { cpus } from 'node:os';
// static: the module runner that loads this file is closed once main() runs
import { run as forwardRun } from './forward.js';

export async function main(argv = process.argv.slice(3)): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' }, devices: { type: 'string' }, seconds: { type: 'string' }, batch: { type: 'string' }, inflight: { type: 'string' }, pairs: { type: 'string' },
      'hb-devices': { type: 'string' }, 'hb-seconds': { type: 'string' }, heartbeat: { type: 'string' }, all: { type: 'boolean' }, 'json-out': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    console.log('usage: npm run bench -w hub -- [--only ingest|heartbeat|forward] [--devices 500] [--seconds 10] [--batch 1] [--inflight 2] [--pairs 3] [--hb-devices 5000] [--hb-seconds 15] [--heartbeat 10] [--all] [--json-out FILE]');
    return;
  }
  const n = (s: string | undefined, d: number): number => (s === undefined ? d : Number(s));
  const log = (s: string): void => console.log(s);
  const parts = v.only ? [v.only] : v.all ? ['ingest', 'heartbeat', 'forward'] : ['ingest', 'heartbeat'];
  const summary: Record<string, unknown> = {};
  console.log(`hcp hub benchmarks on ${process.version}, ${cpus().length} cores`);
  for (const p of parts) {
    try {
      if (p === 'ingest') summary.ingest = await ingestBench({ devices: n(v.devices, 500), seconds: n(v.seconds, 10), batch: n(v.batch, 1), inflight: n(v.inflight, 2), pairs: n(v.pairs, 3) }, log);
      else if (p === 'heartbeat') summary.heartbeat = await heartbeatBench({ devices: n(v['hb-devices'], 5000), seconds: n(v['hb-seconds'], 15), heartbeatS: n(v.heartbeat, 10) }, log);
      else if (p === 'forward') summary.forward = await forwardRun();
      else throw new Error(`unknown part ${p}`);
    } catch (err) {
      console.error(`bench ${p} failed:`, err);
      process.exitCode = 1;
    }
  }
  console.log(JSON.stringify({ event: 'bench.summary', ...summary }));
  if (v['json-out']) {
    const settings = { devices: n(v.devices, 500), seconds: n(v.seconds, 10), batch: n(v.batch, 1), inflight: n(v.inflight, 2), hbDevices: n(v['hb-devices'], 5000), hbSeconds: n(v['hb-seconds'], 15), heartbeatS: n(v.heartbeat, 10) };
    writeFileSync(v['json-out'], `${JSON.stringify({ bench: 'hub', node: process.version, parts, settings, ...summary }, null, 2)}\n`);
  }
}
