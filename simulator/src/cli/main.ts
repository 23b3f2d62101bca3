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

/** Subcommands; `null` = planned, written by other work, not in this build yet. */
const COMMANDS: Readonly<Record<string, { summary: string; load: (() => Promise<Subcommand>) | null }>> = {
  provincial: { summary: 'a provincial 好差评 endpoint with faults on demand', load: () => import('./provincial.js') },
  business: { summary: 'a business/queue system that opens sessions on the hub', load: () => import('./business.js') },
  panel: { summary: 'the serial star-touch panel on a pseudo-terminal', load: null },
  fleet: { summary: 'N simulated counter devices with citizens and faults', load: null },
};

export function topHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}${c.load ? '' : ' (not yet available)'}`);
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
  if (!entry.load) {
    io.err(`hcp-sim ${name}: not yet available in this build (${entry.summary}); see issue 5.`);
    return 2;
  }
  const cmd = await entry.load();
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
