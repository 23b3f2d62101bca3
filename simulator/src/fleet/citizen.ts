/**
 * Simulated citizens at one device. They watch the screen (a Screen the runtime renders to) and
 * press through an input driver, exactly like a person at the counter: a star after some thought,
 * reasons for a 差评, and, when sessions come from the staff key, a staff press to open the next.
 */
import type { Level } from '@hcp/protocol';
import type { InputDriver, InputEvent, InputStatus, Screen, ScreenFrame } from '@hcp/device';
import type { Random } from '../business/random.js';

export interface LevelWeights {
  readonly 5: number;
  readonly 4: number;
  readonly 3: number;
  readonly 2: number;
  readonly 1: number;
}

export const DEFAULT_LEVEL_WEIGHTS: LevelWeights = { 5: 70, 4: 15, 3: 8, 2: 4, 1: 3 };

/** Parses `5:70,4:15,3:8,2:4,1:3`. */
export function parseLevelWeights(s: string): LevelWeights | null {
  const w: Record<number, number> = { 5: 0, 4: 0, 3: 0, 2: 0, 1: 0 };
  for (const part of s.split(',')) {
    const m = /^([1-5]):(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) return null;
    w[Number(m[1])] = Number(m[2]);
  }
  const total = Object.values(w).reduce((a, b) => a + b, 0);
  return total > 0 ? (w as unknown as LevelWeights) : null;
}

export function drawLevel(random: Random, w: LevelWeights): Level {
  const levels: Level[] = [5, 4, 3, 2, 1];
  const total = levels.reduce((a, l) => a + w[l], 0);
  let x = random() * total;
  for (const l of levels) {
    x -= w[l];
    if (x < 0) return l;
  }
  return 5;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface CitizenOptions {
  readonly random: Random;
  readonly timers: Timers;
  readonly weights: LevelWeights;
  /** Think time before each press, ms: uniform in [min, max]. */
  readonly thinkMs: readonly [number, number];
  /** 'staff-key': citizens' staff opens each session with the staff key; 'business': sessions come from the hub. */
  readonly sessions: 'staff-key' | 'business';
  /** Called once the citizen has seen "thank you" for a rating. */
  readonly onThanks: (ratingId: string, level: Level) => void;
}

/** The input side: what the citizen presses. Implements the device's InputDriver interface. */
export class CitizenInput implements InputDriver {
  readonly kind = 'none' as const;
  private listeners: ((e: InputEvent) => void)[] = [];
  private running = false;

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  status(): InputStatus {
    return { driver: 'none', state: this.running ? 'ready' : 'stopped', dropped: 0 };
  }

  onInput(fn: (e: InputEvent) => void): void {
    this.listeners.push(fn);
  }

  onStatus(): void {}

  press(e: InputEvent): void {
    if (!this.running) return;
    for (const f of this.listeners) f(e);
  }
}

/** The eyes and hands: a Screen that reacts to what the device shows. */
export class CitizenScreen implements Screen {
  private pending: unknown = null;
  private lastKey = '';
  private stopped = true;
  private quiet = false;

  constructor(private readonly input: CitizenInput, private readonly o: CitizenOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel();
  }

  /** No more presses from now on (the fleet drains before its tally); the screen still reports thanks. */
  quiesce(): void {
    this.quiet = true;
    this.cancel();
  }

  render(frame: ScreenFrame): void {
    if (this.stopped) return;
    if (this.quiet && frame.view.kind !== 'thanks') return;
    const v = frame.view;
    // Re-renders of the same view (offline badge, banners) must not schedule a second press.
    const key = v.kind === 'thanks' ? `thanks:${v.ratingId}` : v.kind === 'reasons' ? `reasons:${v.level}` : v.kind;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.cancel();
    switch (v.kind) {
      case 'prompt':
        this.later(() => this.pressStar());
        break;
      case 'reasons': {
        const items = v.items;
        if (items.length === 0) {
          this.later(() => this.input.press({ kind: 'reason-index', index: 1 }));
          break;
        }
        const n = Math.min(items.length, 1 + Math.floor(this.o.random() * 2));
        const codes = [...items].sort(() => this.o.random() - 0.5).slice(0, n).map((i) => i.code);
        this.later(() => this.input.press({ kind: 'reason', codes }));
        break;
      }
      case 'thanks':
        this.o.onThanks(v.ratingId, v.level);
        break;
      case 'idle':
        if (this.o.sessions === 'staff-key') this.later(() => this.input.press({ kind: 'staff' }));
        break;
      default:
        break;
    }
  }

  /**
   * The device renders synchronously inside the press: a prompt still on screen afterwards means the
   * press was ignored (inside the device's response interval, e.g. when a new session arrived right
   * after a rating), so the citizen presses again after a moment, as a person would. Without this a
   * stream of sessions superseding each other (same 'prompt' screen) left the citizen waiting forever.
   */
  private pressStar(): void {
    this.input.press({ kind: 'star', level: drawLevel(this.o.random, this.o.weights) });
    if (this.lastKey === 'prompt' && !this.stopped && !this.quiet && this.pending === null) this.later(() => this.pressStar());
  }

  private later(fn: () => void): void {
    const [min, max] = this.o.thinkMs;
    const ms = min + Math.floor(this.o.random() * (max - min + 1));
    this.pending = this.o.timers.setTimeout(() => {
      this.pending = null;
      fn();
    }, ms);
  }

  private cancel(): void {
    if (this.pending !== null) this.o.timers.clearTimeout(this.pending);
    this.pending = null;
  }
}
