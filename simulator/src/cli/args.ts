/**
 * Small helpers shared by the hcp-sim subcommands: usage errors (exit 2), number flags checked
 * once with a clear message, and waiting for SIGINT/SIGTERM.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a subcommand writes: injected so the same code runs in tests and in the terminal. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  readonly stopSignal: () => Promise<string>;
}

export type Values = Record<string, string | boolean | undefined>;

export function parse(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>): Values {
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values as Values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function str(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

export function num(v: Values, name: string, rule: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = str(v, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(n) && (!rule.integer || Number.isInteger(n)) && n >= (rule.min ?? -Infinity) && n <= (rule.max ?? Infinity);
  if (!ok) {
    const range = `${rule.integer ? 'an integer' : 'a number'}${rule.min !== undefined ? ` ≥ ${rule.min}` : ''}${rule.max !== undefined ? ` and ≤ ${rule.max}` : ''}`;
    throw new UsageError(`--${name} must be ${range} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

export function oneOf<T extends string>(v: Values, name: string, allowed: readonly T[]): T | undefined {
  const raw = str(v, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})`);
  return raw as T;
}

export function list(v: Values, name: string): string[] | undefined {
  const raw = str(v, name);
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one value`);
  return items;
}

export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `--hub URL` and `--token T` (or env HCP_HUB_TOKEN), both required, checked once. */
export function hubTarget(v: Values): { hub: string; token: string } {
  const hub = str(v, 'hub');
  if (!hub) throw new UsageError('--hub URL is required');
  try {
    new URL(hub);
  } catch {
    throw new UsageError(`--hub must be a URL (got ${JSON.stringify(hub)})`);
  }
  const token = str(v, 'token') ?? process.env.HCP_HUB_TOKEN;
  if (!token) throw new UsageError('--token T (or env HCP_HUB_TOKEN) is required');
  return { hub, token };
}
