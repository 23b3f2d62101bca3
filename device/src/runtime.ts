/**
 * The device's composition root: builds every component from config + data dir (+ injected
 * hardware, clock and randomness), wires them, and owns start/stop. Phases:
 *   unprovisioned (claim code on screen, provisioner polling) ⇄ provisioned (session, outbox sync, telemetry)
 */
import { mkdirSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  PROTOCOL_VERSION, isLevel, type Command, type CommandResult, type DeviceEvent, type IndicatorList, type ProvisionResponse, type RandomFill, type Telemetry,
} from '@hcp/protocol';
import type { DeviceConfig } from './config/schema.js';
import { Outbox, type OpenReport } from './outbox/outbox.js';
import { SessionController } from './session/controller.js';
import type { Machine, SessionInfo, SessionSettings } from './session/machine.js';
import { SyncLink, type LinkState } from './sync/link.js';
import { unitRandom } from './sync/backoff.js';
import { IdentityStore, type StoredIdentity } from './provisioning/identity.js';
import { Provisioner, type ProvisionState } from './provisioning/provisioner.js';
import { DeviceTime, readBootId, systemClock, systemRandom, type Clock } from './time/clock.js';
import { NoInput, type InputDriver, type InputEvent, type InputStatus } from './inputs/types.js';
import type { OpenSerial } from './inputs/serial.js';
import type { IoFactory } from './inputs/gpio.js';
import type { HidOpen } from './inputs/hid.js';
import { KioskScreen } from './screen/kiosk.js';
import { TEXT, type Screen, type ScreenFrame, type ScreenView } from './screen/view.js';
import { cpuTempC, defaultHardwareId, diskFreeBytes } from './health/system.js';
import { APP_VERSION } from './version.js';

export interface DeviceRuntimeOptions {
  readonly config: Readonly<DeviceConfig>;
  readonly dataDir: string;
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly fill?: RandomFill;
  /** Replaces the configured input driver (tests, simulator fleet). */
  readonly input?: InputDriver;
  readonly gpioIo?: IoFactory;
  readonly hidOpener?: () => Promise<HidOpen>;
  readonly serialOpen?: OpenSerial;
  /** Screens besides the kiosk (e.g. the terminal screen). The kiosk is built from config. */
  readonly screens?: readonly Screen[];
  readonly fetch?: typeof fetch;
  readonly hardwareId?: string;
  /** What `reboot` does; the CLI exits so systemd restarts it. Default: stop and start in-process. */
  readonly onReboot?: () => void;
}

type Phase =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'unprovisioned'; readonly provisioner: Provisioner }
  | { readonly kind: 'provisioned'; readonly link: SyncLink };

export interface DeviceHealth {
  readonly phase: Phase['kind'];
  readonly link: LinkState['kind'] | null;
  readonly session: Machine['state']['kind'];
  readonly backlog: number;
  readonly rejected: number;
  readonly input: InputStatus;
  readonly ignoredPresses: number;
  readonly corruptOutbox: string | null;
}

export class DeviceRuntime {
  readonly log: Logger;
  readonly clock: Clock;
  readonly fill: RandomFill;
  readonly time: DeviceTime;
  readonly outbox: Outbox;
  readonly store: IdentityStore;
  private inputDriver: InputDriver | null = null;
  readonly kiosk: KioskScreen | null;
  readonly controller: SessionController;
  private readonly screens: Screen[];
  private readonly random: () => number;
  private phase: Phase = { kind: 'stopped' };
  private stored: StoredIdentity | null = null;
  private provisionState: ProvisionState = { kind: 'stopped' };
  private banner: { text: string; until: number } | null = null;
  private frameSeq = 0;
  private telemetryTimer: unknown = null;
  private bannerTimer: unknown = null;
  private startedMono = 0;
  private dbFullAtBacklog: number | null = null;
  private kickPending = false;
  private lastSyncAsk = -Infinity;
  private settingsCache: { from: StoredIdentity | null; value: SessionSettings & { telemetryIntervalS: number } } | null = null;
  private openReport: OpenReport = { corruptMovedTo: null, detail: null };
  private readonly hardwareId: string;

  constructor(private readonly o: DeviceRuntimeOptions) {
    const c = o.config;
    this.log = o.log ?? pino({ level: c.log.level });
    this.clock = o.clock ?? systemClock;
    this.fill = o.fill ?? systemRandom;
    this.random = unitRandom(this.fill);
    this.time = new DeviceTime(this.clock, readBootId(), c.clock.trustSystemClock);
    this.outbox = new Outbox(join(o.dataDir, 'outbox.sqlite'), { maxBytes: c.outbox.maxBytes }, () => this.clock.now());
    this.store = new IdentityStore(o.dataDir);
    this.hardwareId = o.hardwareId ?? c.hardwareId ?? defaultHardwareId();
    this.kiosk = c.screen.kind === 'kiosk' ? new KioskScreen({ port: c.screen.kioskPort, log: this.log.child({ c: 'kiosk' }), onTap: (e) => this.handleInput(e) }) : null;
    this.screens = [...(this.kiosk ? [this.kiosk] : []), ...(o.screens ?? [])];
    this.controller = new SessionController({
      clock: this.clock,
      time: this.time,
      fill: this.fill,
      outbox: this.outbox,
      log: this.log.child({ c: 'session' }),
      channel: c.session.channel,
      identity: () => {
        const s = this.stored;
        if (!s) throw new Error('not provisioned');
        return { hallId: s.identity.hallId, deviceId: s.identity.deviceId, windowId: s.identity.windowId, signingKey: s.identity.signingKey };
      },
      settings: () => this.settings(),
      indicators: () => this.stored?.indicators ?? null,
      onChange: () => this.render(),
      onCommitted: () => this.onCommitted(),
      onStorageFull: () => {
        this.dbFullAtBacklog = this.outbox.backlog();
        this.publishTelemetry();
      },
      onEnded: (e) => this.publishEvent({ v: 1, at: this.time.iso(), type: 'session.ended', sessionId: e.sessionId, outcome: e.outcome, ...(e.ratingId ? { ratingId: e.ratingId } : {}) }),
    });
  }

  /** The input driver; drivers are loaded on demand so a board pays only for the one it uses. */
  get input(): InputDriver {
    return this.inputDriver ?? NO_INPUT;
  }

  private async buildInput(): Promise<InputDriver> {
    const c = this.o.config.input;
    const log = this.log.child({ c: 'input' });
    switch (c.driver) {
      case 'serial': {
        const { SerialPanelInput } = await import('./inputs/serial.js');
        return new SerialPanelInput({ ...c.serial, clock: this.clock, random: this.random, log, ...(this.o.serialOpen ? { open: this.o.serialOpen } : {}) });
      }
      case 'gpio': {
        const { GpioInput, firmataIo, moduleIo } = await import('./inputs/gpio.js');
        const io = this.o.gpioIo ?? (c.gpio.ioModule ? moduleIo(c.gpio.ioModule, c.gpio.ioOptions) : firmataIo(c.gpio.firmataPort));
        return new GpioInput({ io, levelPins: c.gpio.levelPins, staffPin: c.gpio.staffPin, invert: c.gpio.invert, readyTimeoutMs: 15_000, clock: this.clock, log });
      }
      case 'hid': {
        const { HidInput, nodeHidOpen } = await import('./inputs/hid.js');
        return new HidInput({ opener: this.o.hidOpener ?? (() => nodeHidOpen(c.hid.vendorId, c.hid.productId, c.hid.path)), keys: c.hid.keys, reopenMinMs: c.hid.reopenMinMs, reopenMaxMs: c.hid.reopenMaxMs, clock: this.clock, random: this.random, log });
      }
      default:
        return new NoInput();
    }
  }

  get kioskUrl(): string | null {
    return this.kiosk?.url ?? null;
  }

  get link(): SyncLink | null {
    return this.phase.kind === 'provisioned' ? this.phase.link : null;
  }

  get identity(): StoredIdentity | null {
    return this.stored;
  }

  get provisioning(): ProvisionState {
    return this.provisionState;
  }

  settings(): SessionSettings & { telemetryIntervalS: number } {
    // Read several times per press; rebuilt only when the stored identity (hub settings) changes.
    const s = this.stored;
    if (this.settingsCache?.from !== s) {
      const c = this.o.config;
      this.settingsCache = { from: s, value: { ...c.session, telemetryIntervalS: c.telemetry.intervalS, ...(s?.settings ?? {}) } };
    }
    return this.settingsCache.value;
  }

  async start(): Promise<void> {
    if (this.phase.kind !== 'stopped') return;
    this.startedMono = this.clock.mono();
    mkdirSync(this.o.dataDir, { recursive: true, mode: 0o700 });
    this.openReport = this.outbox.start();
    if (this.openReport.corruptMovedTo) {
      this.log.error({ code: 'HCP_OUTBOX_CORRUPT', movedTo: this.openReport.corruptMovedTo, detail: this.openReport.detail }, 'outbox was corrupt; moved aside, a new one started');
    }
    for (const s of this.screens) await s.start();
    this.inputDriver = this.o.input ?? (await this.buildInput());
    if (!WIRED.has(this.input)) this.wireInput(this.input);
    this.controller.start();
    this.stored = this.store.load();
    if (this.stored) this.enterProvisioned();
    else this.enterUnprovisioned();
    this.checkStorage();
    this.render();
    await this.input.start();
    this.scheduleTelemetry();
    this.log.info({ phase: this.phase.kind, input: this.input.status(), kiosk: this.kioskUrl }, 'device started');
  }

  /** Stops everything; the retained status says why (`shutdown` or `reboot`). */
  async stop(reason: 'shutdown' | 'reboot' = 'shutdown'): Promise<void> {
    const p = this.phase;
    this.phase = { kind: 'stopped' };
    for (const t of [this.telemetryTimer, this.bannerTimer]) if (t !== null) this.clock.clearTimeout(t);
    this.telemetryTimer = this.bannerTimer = null;
    this.controller.stop();
    if (p.kind === 'unprovisioned') p.provisioner.stop();
    if (p.kind === 'provisioned') await p.link.stop(reason);
    await this.input.stop();
    for (const s of this.screens) await s.stop();
    this.outbox.stop();
  }

  /** Listeners are added once per driver (an injected driver survives a reboot-in-process). */
  private wireInput(d: InputDriver): void {
    WIRED.add(d);
    d.onInput((e) => {
      if (this.inputDriver !== d) return;
      try {
        this.handleInput(e);
      } catch (err) {
        this.log.error({ err }, 'input handling failed');
      }
    });
    d.onStatus((s) => this.log.info({ input: s }, 'input state'));
  }

  private enterUnprovisioned(): void {
    const c = this.o.config;
    const provisioner = new Provisioner({
      hubUrl: c.hubUrl,
      hardwareId: this.hardwareId,
      model: c.model,
      appVersion: APP_VERSION,
      configClaimCode: c.provisioning.claimCode,
      pollMinMs: c.provisioning.pollMinMs,
      pollMaxMs: c.provisioning.pollMaxMs,
      clock: this.clock,
      fill: this.fill,
      random: this.random,
      log: this.log.child({ c: 'provision' }),
      loadClaim: () => this.store.loadClaim(),
      saveClaim: (code) => this.store.saveClaim(code),
      onState: (s) => {
        this.provisionState = s;
        this.render();
      },
      onProvisioned: (res) => this.onProvisioned(res),
      ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
    });
    this.phase = { kind: 'unprovisioned', provisioner };
    provisioner.start();
  }

  private onProvisioned(res: ProvisionResponse): void {
    if (this.phase.kind !== 'unprovisioned') return;
    const stored = this.store.fromResponse(res, this.time.iso());
    this.store.save(stored);
    this.stored = stored;
    this.log.info({ hallId: res.hallId, deviceId: res.deviceId, windowId: res.windowId }, 'provisioned');
    this.phase.provisioner.stop();
    this.enterProvisioned();
    this.render();
  }

  private enterProvisioned(): void {
    const s = this.stored!;
    const brokerUrl = this.o.config.sync.mqttUrl;
    const link = new SyncLink({
      identity: brokerUrl ? { ...s.identity, mqtt: { ...s.identity.mqtt, url: brokerUrl } } : s.identity,
      cfg: this.o.config.sync,
      outbox: this.outbox,
      clock: this.clock,
      time: this.time,
      random: this.random,
      log: this.log.child({ c: 'sync' }),
      onCommand: (cmd) => this.onCommand(cmd),
      onState: (st) => {
        if (st.kind === 'online') this.publishTelemetry();
        this.render();
      },
      onAcked: () => {
        if (this.dbFullAtBacklog !== null && this.outbox.backlog() < this.dbFullAtBacklog) this.checkStorage();
      },
    });
    this.phase = { kind: 'provisioned', link };
    link.start();
  }

  /** Handles one press or tap; returns the frame after it (the rating is committed by then). */
  handleInput(e: InputEvent): ScreenFrame {
    if (this.phase.kind !== 'provisioned') return this.frame();
    const st = this.controller.machine.state;
    switch (e.kind) {
      case 'star':
        if (isLevel(e.level)) {
          if (st.kind === 'idle' && this.settings().walkUp === 'accept-flagged') this.checkStorage();
          this.controller.dispatch({ type: 'star', level: e.level });
        }
        break;
      case 'reason':
        this.controller.dispatch({ type: 'reason', codes: e.codes });
        break;
      case 'reason-index': {
        const item = this.stored?.indicators?.items[e.index - 1];
        this.controller.dispatch({ type: 'reason', codes: item ? [item.code] : [] });
        break;
      }
      case 'staff':
        this.checkStorage();
        this.controller.dispatch({ type: 'staff-key', staff: this.controller.lastStaff });
        break;
    }
    return this.frame();
  }

  /**
   * The sync wakeup (an outbox SELECT and an MQTT publish) runs after the thanks frame is on the
   * screens: the row is already durable, so the citizen need not wait for the network code. Many
   * commits before the wakeup runs cost one wakeup.
   */
  private onCommitted(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.link?.kick();
    });
  }

  /** Refuses new sessions when the disk or the outbox cap is full; resumes when space is back. */
  checkStorage(): boolean {
    const free = diskFreeBytes(this.o.dataDir);
    const lowDisk = free !== null && free < this.o.config.outbox.minFreeBytes;
    const dbFull = this.dbFullAtBacklog !== null && this.outbox.backlog() >= this.dbFullAtBacklog;
    if (this.dbFullAtBacklog !== null && !dbFull) this.dbFullAtBacklog = null;
    const full = lowDisk || dbFull;
    const refusing = this.controller.machine.state.kind === 'refusing';
    if (full && !refusing) {
      this.controller.dispatch({ type: 'storage', ok: false });
      this.publishTelemetry();
    } else if (!full && refusing) {
      this.controller.dispatch({ type: 'storage', ok: true });
      this.publishTelemetry();
    }
    return !full;
  }

  private async onCommand(cmd: Command): Promise<Pick<CommandResult, 'ok' | 'code' | 'detail'>> {
    switch (cmd.type) {
      case 'time.sync': {
        const r = this.time.syncFromHub(cmd.args.nowMs, cmd.args.echo);
        if (r.kind === 'adopted') {
          this.log.info({ hubNow: cmd.args.now, offsetMs: r.offsetMs, roundTripMs: r.roundTripMs }, 'clock synced from hub');
          return { ok: true };
        }
        // A clock that has nothing better asks for a fresh sync (at most every 30 s): announcing
        // `online` again makes the hub answer at once.
        const mono = this.clock.mono();
        const ask = !this.time.info().trusted && mono - this.lastSyncAsk >= 30_000 && this.link?.announce() === true;
        if (ask) this.lastSyncAsk = mono;
        this.log.warn({ hubNow: cmd.args.now, roundTripMs: r.roundTripMs, askedAgain: ask }, 'stale time.sync refused');
        return { ok: false, code: 'HCP_TIME_SYNC_STALE', detail: r.roundTripMs === null ? 'no echo; clock already trusted' : `round trip ${r.roundTripMs} ms` };
      }
      case 'session.start': {
        this.checkStorage();
        const a = cmd.args;
        const session: SessionInfo = { origin: 'session', sessionId: a.sessionId, caseNumbers: a.caseNumbers, staff: a.staff, item: a.item, rateUrl: a.rateUrl };
        // expiresAt is hub time: only comparable once our clock is trusted.
        const left = this.time.info().trusted ? Date.parse(a.expiresAt) - this.time.now() : undefined;
        if (left !== undefined && left <= 0) return { ok: false, code: 'HCP_COMMAND_REFUSED', detail: 'session already expired' };
        const eff = this.controller.dispatch(left === undefined ? { type: 'session.start', session } : { type: 'session.start', session, timeoutMs: left });
        const refused = eff.find((e) => e.kind === 'refused');
        return refused ? { ok: false, code: refused.code, detail: TEXT.diskFull } : { ok: true };
      }
      case 'session.cancel':
        this.controller.dispatch({ type: 'session.cancel', sessionId: cmd.args.sessionId });
        return { ok: true };
      case 'config.update':
        this.saveStored({ ...this.stored!, settings: { ...this.stored!.settings, ...cmd.args.settings } });
        this.scheduleTelemetry();
        return { ok: true };
      case 'indicators.set':
        this.saveStored({ ...this.stored!, indicators: cmd.args.list });
        return { ok: true };
      case 'display.message':
        this.showBanner(cmd.args.text, cmd.args.seconds);
        return { ok: true };
      case 'reboot':
        setImmediate(() => {
          if (this.o.onReboot) this.o.onReboot();
          else void this.stop('reboot').then(() => this.start()).catch((err: unknown) => this.log.fatal({ err }, 'restart failed'));
        });
        return { ok: true };
      case 'decommission':
        setImmediate(() => void this.decommission().catch((err: unknown) => this.log.fatal({ err }, 'decommission failed')));
        return { ok: true };
    }
  }

  private saveStored(s: StoredIdentity): void {
    this.store.save(s);
    this.stored = s;
    this.render();
  }

  /** Wipes identity and credentials; unsent ratings are kept in a file set aside, never deleted. */
  async decommission(): Promise<void> {
    const p = this.phase;
    if (p.kind !== 'provisioned') return;
    this.phase = { kind: 'stopped' };
    await p.link.stop('decommissioned');
    this.store.wipe();
    this.stored = null;
    const backlog = this.outbox.backlog() + this.outbox.rejectedCount();
    this.outbox.stop();
    if (backlog > 0) {
      const aside = `${this.outbox.file}.decommissioned-${this.clock.now()}`;
      for (const ext of ['', '-wal', '-shm']) if (existsSync(this.outbox.file + ext)) renameSync(this.outbox.file + ext, aside + ext);
      this.log.warn({ backlog, aside }, 'decommissioned with unsent ratings; outbox kept aside');
    }
    this.outbox.start();
    this.log.info('decommissioned; back to the claim screen');
    this.enterUnprovisioned();
    this.render();
  }

  private showBanner(text: string, seconds: number): void {
    if (this.bannerTimer !== null) this.clock.clearTimeout(this.bannerTimer);
    this.banner = { text, until: this.clock.mono() + seconds * 1000 };
    this.bannerTimer = this.clock.setTimeout(() => {
      this.bannerTimer = null;
      this.banner = null;
      this.render();
    }, seconds * 1000);
    this.render();
  }

  /** Best-effort events go out after the current frame is on the screens (network code is not on the thanks path). */
  private publishEvent(e: DeviceEvent): void {
    setImmediate(() => this.link?.publish('events', e));
  }

  private scheduleTelemetry(): void {
    if (this.telemetryTimer !== null) this.clock.clearTimeout(this.telemetryTimer);
    this.telemetryTimer = this.clock.setTimeout(() => {
      this.telemetryTimer = null;
      if (this.phase.kind === 'stopped') return;
      this.checkStorage();
      this.publishTelemetry();
      this.scheduleTelemetry();
    }, this.settings().telemetryIntervalS * 1000);
  }

  private publishTelemetry(): void {
    const link = this.link;
    if (link?.current.kind === 'online') link.publish('telemetry', this.telemetry());
  }

  telemetry(): Telemetry {
    const inp = this.input.status();
    const oldest = this.outbox.oldestCreatedMs();
    const lastAck = this.outbox.lastAckMs();
    const st = this.controller.machine.state.kind;
    return {
      v: 1,
      at: this.time.iso(),
      uptimeS: Math.max(0, Math.round((this.clock.mono() - this.startedMono) / 100) / 10),
      backlog: this.outbox.backlog(),
      oldestUnsyncedAgeS: oldest === null ? null : Math.max(0, Math.round((this.clock.now() - oldest) / 1000)),
      lastAckAt: lastAck === null ? null : new Date(lastAck).toISOString(),
      input: { driver: inp.driver, state: inp.state, ...(inp.detail ? { detail: inp.detail } : {}), dropped: inp.dropped + this.controller.ignoredTotal },
      session: this.phase.kind === 'unprovisioned' ? 'unprovisioned' : st,
      diskFreeBytes: diskFreeBytes(this.o.dataDir),
      cpuTempC: cpuTempC(),
      clock: this.time.info(),
      rssBytes: process.memoryUsage.rss(),
      versions: { app: APP_VERSION, node: process.version, protocol: PROTOCOL_VERSION, indicators: this.stored?.indicators?.version ?? null },
    };
  }

  health(): DeviceHealth {
    return {
      phase: this.phase.kind,
      link: this.link?.current.kind ?? null,
      session: this.controller.machine.state.kind,
      backlog: this.outbox.backlog(),
      rejected: this.outbox.rejectedCount(),
      input: this.input.status(),
      ignoredPresses: this.controller.ignoredTotal,
      corruptOutbox: this.openReport.corruptMovedTo,
    };
  }

  view(): ScreenView {
    const c = this.o.config;
    if (this.phase.kind !== 'provisioned') {
      const ps = this.provisionState;
      const code = ps.kind === 'waiting-claim' || ps.kind === 'revoked' ? ps.claimCode : (c.provisioning.claimCode ?? '----');
      return { kind: 'unprovisioned', claimCode: code, hubUrl: c.hubUrl, note: ps.kind === 'revoked' ? TEXT.revoked : null };
    }
    const s = this.controller.machine.state;
    const cfg = this.settings();
    switch (s.kind) {
      case 'idle':
        return { kind: 'idle', staff: this.controller.lastStaff, walkUp: cfg.walkUp === 'accept-flagged' };
      case 'prompt':
        return { kind: 'prompt', staff: s.session.staff, item: s.session.item, caseCount: s.session.caseNumbers.length, rateUrl: s.session.rateUrl, timeoutS: cfg.promptTimeoutS };
      case 'reasons':
        return { kind: 'reasons', level: s.level, items: indicatorItems(this.stored?.indicators ?? null), timeoutS: cfg.reasonTimeoutS };
      case 'thanks':
        return { kind: 'thanks', level: s.level, ratingId: s.ratingId };
      case 'refusing':
        return { kind: 'refusing', message: TEXT.diskFull };
    }
  }

  frame(): ScreenFrame {
    return { view: this.view(), offline: this.link?.current.kind !== 'online', banner: this.banner?.text ?? null, seq: this.frameSeq };
  }

  private render(): void {
    if (this.phase.kind === 'stopped' && this.frameSeq > 0) return;
    this.frameSeq++;
    const f = this.frame();
    for (const s of this.screens) s.render(f);
    this.input.show?.(f.view);
  }
}

const NO_INPUT = new NoInput();
const WIRED = new WeakSet<InputDriver>();

function indicatorItems(list: IndicatorList | null): { code: string; name: string }[] {
  return (list?.items ?? []).map((i) => ({ code: i.code, name: i.name }));
}
