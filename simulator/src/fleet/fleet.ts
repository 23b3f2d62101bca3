/**
 * A fleet of simulated counter devices against a real hub: each device is a real runtime in its
 * own process (real outbox file, real MQTT connection, provisioned through the hub's claim-code
 * flow) with simulated citizens. Faults on demand: SIGKILL a device every N seconds (it restarts
 * and must resend whatever was not acked), a skewed, untrusted clock.
 *
 * The tally compares what citizens saw ("thank you" journal, fsynced per rating) with what the hub
 * stored: lost must be 0, double-counted must be 0.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Random } from '../business/random.js';
import { fakeName } from '../business/people.js';
import type { LevelWeights } from './citizen.js';
import { FleetHubApi } from './hub-api.js';
import { ThanksJournal } from './journal.js';
import { NetemProxy, type NetemMode } from '../netem/proxy.js';

export interface FleetOptions {
  readonly hubUrl: string;
  readonly token: string;
  readonly hallId: string;
  readonly devices: number;
  readonly dataDir: string;
  readonly random: Random;
  readonly seed: number;
  readonly thinkMs: readonly [number, number];
  readonly levels: LevelWeights;
  readonly sessions: 'staff-key' | 'business';
  /** SIGKILL one random device every this many seconds (0 = never). */
  readonly killEveryS: number;
  /** Device clocks run this far off and are not trusted (the hub corrects them). */
  readonly clockSkewMs: number;
  /**
   * Network partitions between the devices and the broker: every `everyS` seconds the link goes
   * `mode` (drop: connections cut and refused; stall: bytes held) for `forS` seconds, then heals.
   * Needs `mqttUrl` (the hub's broker as devices reach it): devices connect through a proxy.
   */
  readonly partition?: { readonly everyS: number; readonly forS: number; readonly mode: Exclude<NetemMode, 'pass'> };
  readonly mqttUrl?: string;
  readonly log: (line: string) => void;
  readonly fetchFn?: typeof fetch;
}

export interface FleetTally {
  readonly given: number;
  readonly stored: number;
  readonly lost: number;
  readonly doubleCounted: number;
  readonly kills: number;
  readonly partitions: number;
}

interface Member {
  readonly index: number;
  readonly dir: string;
  child: ChildProcess | null;
  backlog: number;
  link: string | null;
  given: number;
  healthAt: number;
  session: string | null;
}

// Children always run built JavaScript, also when this module is loaded from source (tests).
const CHILD = fileURLToPath(new URL('./device-child.js', import.meta.url)).replace(/\/src\/fleet\/device-child\.js$/, '/dist/fleet/device-child.js');

export class Fleet {
  private members: Member[] = [];
  private killTimer: NodeJS.Timeout | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private kills = 0;
  private stopping = false;
  private startedAt = 0;
  private readonly api: FleetHubApi;
  private proxy: NetemProxy | null = null;
  private partitionTimer: NodeJS.Timeout | null = null;
  private healTimer: NodeJS.Timeout | null = null;
  private partitions = 0;
  private quiescedAt: number | null = null;

  constructor(private readonly o: FleetOptions) {
    this.api = new FleetHubApi(o.hubUrl, o.token, o.fetchFn);
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    mkdirSync(this.o.dataDir, { recursive: true });
    if (this.o.partition) {
      if (!this.o.mqttUrl) throw new Error('partitions need the hub broker URL (mqttUrl)');
      const u = new URL(this.o.mqttUrl);
      this.proxy = new NetemProxy({ targetHost: u.hostname, targetPort: Number(u.port || 1883), host: '127.0.0.1' });
      await this.proxy.start();
    }
    await this.api.ensureHall(this.o.hallId);
    for (let i = 1; i <= this.o.devices; i++) {
      const nn = String(i).padStart(2, '0');
      const windowId = `w-${nn}`;
      await this.api.ensureWindow(this.o.hallId, windowId, `${nn}号窗口`, { id: `staff-${nn}`, name: fakeName(this.o.random), number: `A01${nn}` });
      const dir = join(this.o.dataDir, `device-${nn}`);
      mkdirSync(dir, { recursive: true });
      const configPath = join(dir, 'config.json');
      // A device already provisioned in an earlier run keeps its identity; only new ones need a code.
      if (!existsSync(configPath)) {
        const claimCode = await this.api.claimCode(windowId);
        writeFileSync(configPath, JSON.stringify(this.deviceConfig(i, claimCode), null, 2));
      }
      const m: Member = { index: i, dir, child: null, backlog: 0, link: null, given: 0, healthAt: 0, session: null };
      this.members.push(m);
      this.spawn(m);
    }
    if (this.o.killEveryS > 0) this.killTimer = setInterval(() => this.killOne(), this.o.killEveryS * 1000);
    const part = this.o.partition;
    if (part && this.proxy) {
      const proxy = this.proxy;
      this.partitionTimer = setInterval(() => {
        this.partitions++;
        proxy.setMode(part.mode);
        this.healTimer = setTimeout(() => proxy.setMode('pass'), part.forS * 1000);
      }, part.everyS * 1000);
    }
    this.progressTimer = setInterval(() => this.o.log(this.progressLine()), 1000);
  }

  private deviceConfig(i: number, claimCode: string): unknown {
    return {
      hubUrl: this.o.hubUrl,
      hardwareId: `sim-${this.o.hallId}-${i}`,
      model: 'hcp-sim-device',
      provisioning: { claimCode, pollMinMs: 200, pollMaxMs: 2000 },
      clock: { trustSystemClock: this.o.clockSkewMs === 0 },
      input: { driver: 'none' },
      screen: { kind: 'none' },
      session: { responseIntervalMs: 300, thanksS: 1, promptTimeoutS: 60, reasonTimeoutS: 20 },
      telemetry: { intervalS: 10 },
      sync: { reconnectMinMs: 200, reconnectMaxMs: 3000, keepaliveS: 5, ackTimeoutMs: 3000, ...(this.proxy ? { mqttUrl: `mqtt://127.0.0.1:${this.proxy.port}` } : {}) },
    };
  }

  private spawn(m: Member): void {
    if (this.stopping) return;
    const child = fork(
      CHILD,
      [
        '--config', join(m.dir, 'config.json'), '--data-dir', m.dir, '--journal', join(m.dir, 'thanks.journal'),
        '--seed', String(this.o.seed * 1000 + m.index + this.kills), '--think-min', String(this.o.thinkMs[0]), '--think-max', String(this.o.thinkMs[1]),
        '--levels', Object.entries(this.o.levels).map(([l, w]) => `${l}:${w}`).join(','), '--sessions', this.o.sessions,
        '--clock-skew-ms', String(this.o.clockSkewMs),
      ],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    m.child = child;
    child.on('message', (msg: { type?: string; backlog?: number; link?: string | null; session?: string }) => {
      if (msg.type === 'thanks') m.given++;
      if (msg.type === 'started' && this.quiescedAt !== null) child.send({ type: 'quiesce' });
      if (msg.type === 'health') {
        m.healthAt = Date.now();
        m.session = msg.session ?? null;
        m.backlog = msg.backlog ?? 0;
        m.link = msg.link ?? null;
      }
    });
    child.on('exit', (code, signal) => {
      if (m.child === child) m.child = null;
      if (this.stopping) return;
      // A killed device comes back like a Pi after a power cut; an unexpected exit is reported.
      if (signal !== 'SIGKILL') this.o.log(`[fleet] device-${m.index} exited (${signal ?? code}); restarting`);
      setTimeout(() => this.spawn(m), 200);
    });
  }

  private killOne(): void {
    const alive = this.members.filter((m) => m.child);
    if (alive.length === 0) return;
    const m = alive[Math.floor(this.o.random() * alive.length)];
    if (!m?.child) return;
    this.kills++;
    m.child.kill('SIGKILL');
  }

  progressLine(): string {
    const online = this.members.filter((m) => m.link === 'online').length;
    const backlog = this.members.reduce((a, m) => a + m.backlog, 0);
    const given = this.members.reduce((a, m) => a + ThanksJournal.read(join(m.dir, 'thanks.journal')).length, 0);
    const secs = Math.round((Date.now() - this.startedAt) / 1000);
    const net = this.proxy ? `, partitions ${this.partitions} (network ${this.proxy.mode})` : '';
    return `[fleet] ${secs}s devices ${online}/${this.members.length} connected, ratings given ${given}, device backlog ${backlog}, kills ${this.kills}${net}`;
  }

  /** Call drain() first for a clean tally. */
  async tally(): Promise<FleetTally> {
    const given = this.members.flatMap((m) => ThanksJournal.read(join(m.dir, 'thanks.journal')));
    const stored = await this.api.lookup(given);
    const lost = given.filter((id) => !stored.has(id)).length;
    return { given: given.length, stored: stored.size, lost, doubleCounted: await this.api.multiRated(), kills: this.kills, partitions: this.partitions };
  }

  /**
   * Stops faults and new presses, then waits until every device is connected with an empty
   * backlog, as reported after the citizens went quiet (or the timeout passes).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.killTimer) clearInterval(this.killTimer);
    this.killTimer = null;
    this.stopPartitions();
    const quietAt = Date.now();
    this.quiescedAt = quietAt;
    for (const m of this.members) m.child?.send({ type: 'quiesce' });
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      // A report from after the quiet moment (+ a press already in flight) is needed from each device.
      const fresh = (m: Member): boolean => m.healthAt > quietAt + 1500;
      // A session past its star (reasons, thanks) may still commit a rating: wait until it is over.
      const settled = (m: Member): boolean => m.session === 'idle' || m.session === 'prompt';
      if (this.members.every((m) => m.child && fresh(m) && settled(m) && m.link === 'online' && m.backlog === 0)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  private stopPartitions(): void {
    if (this.partitionTimer) clearInterval(this.partitionTimer);
    if (this.healTimer) clearTimeout(this.healTimer);
    this.partitionTimer = null;
    this.proxy?.setMode('pass');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopPartitions();
    if (this.killTimer) clearInterval(this.killTimer);
    if (this.progressTimer) clearInterval(this.progressTimer);
    await Promise.all(this.members.map((m) => new Promise<void>((resolve) => {
      const c = m.child;
      if (!c || c.exitCode !== null) return resolve();
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => { clearTimeout(t); resolve(); });
      c.kill('SIGTERM');
    })));
    await this.proxy?.stop();
  }
}
