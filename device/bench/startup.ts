/**
 * Start time and idle RSS of the real device process (built bin, kiosk screen, provisioned,
 * connected to a broker), beside a bare `node` process doing the same handshake (one JSON line).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityStore } from '@hcp/device/provisioning/identity';
import { HERE, spawnJson, stopChild } from './children.js';
import { identity } from './fixtures.js';
import { progress } from './stats.js';

export interface StartupResult {
  readonly startMs: number;
  readonly bareStartMs: number;
  /** RSS 3 s after ready (start-up garbage still committed in V8's young generation). */
  readonly rssEarlyMb: number;
  /** RSS after `idleMs` of idling (V8's memory reducer has run): the steady figure. */
  readonly rssMb: number;
  readonly bareRssMb: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function startup(baseDir: string, runs: number, idleMs: number): Promise<StartupResult> {
  const dir = mkdtempSync(join(baseDir, 'start-'));
  const broker = await spawnJson<{ port: number }>([join(HERE, 'broker-child.js')]);
  try {
    const devDir = join(dir, 'device');
    mkdirSync(devDir, { recursive: true });
    const store = new IdentityStore(devDir);
    store.save(store.fromResponse(identity(`mqtt://127.0.0.1:${broker.first.port}`, 'dev-bench-start'), new Date().toISOString()));
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ screen: { kind: 'kiosk', kioskPort: 0 }, log: { level: 'warn' } }));
    const bin = join(HERE, '..', '..', 'bin', 'hcp-device.js');
    const starts: number[] = [];
    const bares: number[] = [];
    let rss = NaN;
    let rssEarly = NaN;
    let bareRss = NaN;
    for (let i = 0; i < runs; i++) {
      let t = process.hrtime.bigint();
      const bare = await spawnJson<unknown>(['-e', 'console.log(JSON.stringify({ready:true})); setInterval(() => {}, 1000);']);
      bares.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      const dev = await spawnJson<unknown>([bin, '--config', cfg, '--data-dir', devDir]);
      starts.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (i === runs - 1) {
        await new Promise((r) => setTimeout(r, 3000));
        rssEarly = rssMb(dev.child.pid!);
        progress(`idle ${idleMs} ms before reading the steady RSS`);
        await new Promise((r) => setTimeout(r, idleMs));
        rss = rssMb(dev.child.pid!);
        bareRss = rssMb(bare.child.pid!);
      }
      await stopChild(dev.child);
      await stopChild(bare.child);
    }
    return { startMs: median(starts), bareStartMs: median(bares), rssEarlyMb: rssEarly, rssMb: rss, bareRssMb: bareRss };
  } finally {
    await stopChild(broker.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
