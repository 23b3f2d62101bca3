/**
 * `hcp-sim`: one CLI for the simulator's fakes. Each subcommand is a small module with `help`,
 * `summary` and `run(argv, io)`; this file only dispatches. Exit codes: 0 ok, 1 runtime failure,
 * 2 usage error or a subcommand that is not available in this build.
 */
import { UsageError, waitForSignal, type Io } from './args.js';

interface Subcommand {
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/**
 * Subcommands. `panel` and `fleet` are written by other work as `./panel.js` / `./fleet.js` with
 * the same shape; they are loaded when present, and reported as not yet available otherwise, so
 * adding one needs no change here.
 */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Subcommand | null> }>> = {
  provincial: { summary: 'a provincial 好差评 endpoint with faults on demand', load: () => import('./provincial.js') },
  business: { summary: 'a business/queue system that opens sessions on the hub', load: () => import('./business.js') },
  panel: { summary: 'the serial star-touch panel on a pseudo-terminal', load: () => optional('./panel.js') },
  fleet: { summary: 'N simulated counter devices with citizens and faults', load: () => optional('./fleet.js') },
};

/** Loads a subcommand module that may not exist in this build; null when it does not. */
async function optional(spec: string): Promise<Subcommand | null> {
  const url = new URL(spec, import.meta.url);
  let mod: Partial<Subcommand>;
  try {
    // A computed specifier: the module is not part of every build.
    mod = (await import(url.href)) as Partial<Subcommand>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message?.includes(url.pathname)) return null;
    throw err;
  }
  if (typeof mod.run !== 'function' || typeof mod.help !== 'string') return null;
  return mod as Subcommand;
}

export function topHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`);
  return [
    'hcp-sim — hcp 模拟器 (simulated hardware and outside systems)',
    '',
    'Usage: hcp-sim <command> [options]      hcp-sim <command> --help',
    '',
    'Commands:',
    ...rows,
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(topHelp());
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`hcp-sim: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return 2;
  }
  let cmd: Subcommand | null;
  try {
    cmd = await entry.load();
  } catch (err) {
    io.err(`hcp-sim ${name}: cannot load: ${(err as Error).message}`);
    return 1;
  }
  if (!cmd) {
    io.err(`hcp-sim ${name}: not yet available in this build (${entry.summary}); see issue 5.`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`hcp-sim ${name}: ${err.message}\nRun "hcp-sim ${name} --help" for the options.`);
      return 2;
    }
    io.err(`hcp-sim ${name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stopSignal: waitForSignal,
};
