/**
 * `npm run bench`: runs every benchmark (device, then hub with ingest, heartbeat and forwarding),
 * each as its own `npm run bench -w …` process so it measures exactly what the workspace command
 * measures, collects what each wrote with `--json-out`, and writes bench/report.md and
 * bench/report.json (see report.ts). Benchmarks are never run by the test suite.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildReport, renderMarkdown, type MachineInfo, type PartRun } from './report.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const HELP = `usage: npm run bench [-- options]

Runs every hcp benchmark and writes bench/report.md and bench/report.json: each figure beside its
bare baseline measured in the same run, the ratio (value ÷ baseline), the target and whether it
was met, with the machine's cores, Node version, commit and load. Takes about 10 minutes on 2 cores;
progress lines go to stderr, each bench's own output is passed through with its name in front.

options:
  --only PARTS   comma-separated: device, hub (default both)
  --out DIR      where report.md / report.json go (default bench/ in the repository)
  --quick        small sizes (a few minutes' less waiting; figures not comparable, marked in the report)
  --help         this text

Exit code 1 when a bench failed to run; missed targets are reported, not errors.`;

export type Part = 'device' | 'hub';
const PARTS: readonly Part[] = ['device', 'hub'];

/** The command for one part; `jsonOut` is where the bench writes its figures. */
export function partCommand(part: Part, jsonOut: string, quick: boolean): { args: string[]; env: Record<string, string> } {
  if (part === 'device') {
    const q = quick ? ['--presses', '400', '--drain', '10000', '--runs', '1', '--idle', '5'] : [];
    return { args: ['run', 'bench', '-w', 'device', '--', '--json-out', jsonOut, ...q], env: {} };
  }
  const q = quick ? ['--devices', '50', '--seconds', '3', '--hb-devices', '300', '--hb-seconds', '4', '--heartbeat', '2'] : [];
  return { args: ['run', 'bench', '-w', 'hub', '--', '--all', '--json-out', jsonOut, ...q], env: quick ? { BENCH_QUICK: '1' } : {} };
}

export interface RunnerDeps {
  /** Runs one part to completion; resolves with its exit code. Lines are its stdout/stderr. */
  readonly runPart: (part: Part, cmd: { args: string[]; env: Record<string, string> }, onLine: (line: string) => void) => Promise<number>;
  readonly log: (line: string) => void;
  readonly now: () => number;
  readonly machine: (loadStart: number) => MachineInfo;
}

function npmRun(_part: Part, cmd: { args: string[]; env: Record<string, string> }, onLine: (line: string) => void): Promise<number> {
  const child = spawn('npm', cmd.args, { cwd: ROOT, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  return new Promise((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return null;
  }
}

export function systemMachine(loadStart: number): MachineInfo {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    totalMemMB: totalmem() / 1048576,
    node: process.version,
    platform: `${platform()} ${release()}`,
    commit: gitCommit(),
    loadStart,
    loadEnd: loadavg()[0] ?? 0,
  };
}

export const systemDeps: RunnerDeps = {
  runPart: npmRun,
  log: (line) => process.stderr.write(`${line}\n`),
  now: () => Date.now(),
  machine: systemMachine,
};

export async function main(argv: readonly string[], deps: RunnerDeps = systemDeps): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: [...argv], options: { only: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    deps.log(`npm run bench: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const wanted = v.only ? v.only.split(',').map((s) => s.trim()) : [...PARTS];
  const unknown = wanted.filter((p) => !PARTS.includes(p as Part));
  if (unknown.length || wanted.length === 0) {
    deps.log(`npm run bench: unknown part(s) ${unknown.join(', ') || '(none)'}; choose from ${PARTS.join(', ')}`);
    return 2;
  }
  const parts = PARTS.filter((p) => wanted.includes(p));
  const outDir = v.out ?? join(ROOT, 'bench');
  const quick = v.quick === true;
  const loadStart = loadavg()[0] ?? 0;
  const tmp = mkdtempSync(join(tmpdir(), 'hcp-bench-report-'));
  const runs: PartRun[] = [];
  const t0 = deps.now();
  try {
    for (const [i, part] of parts.entries()) {
      const file = join(tmp, `${part}.json`);
      const cmd = partCommand(part, file, quick);
      deps.log(`[bench] ${i + 1}/${parts.length} ${part}: npm ${cmd.args.join(' ')}`);
      const start = deps.now();
      // A heartbeat line while a long silent phase runs (the device bench idles 30 s for its RSS).
      const beat = setInterval(() => deps.log(`[bench] ${part} still running, ${Math.round((deps.now() - start) / 1000)} s`), 30_000);
      let code: number;
      try {
        code = await deps.runPart(part, cmd, (line) => deps.log(`[${part}] ${line}`));
      } finally {
        clearInterval(beat);
      }
      const seconds = (deps.now() - start) / 1000;
      let data: unknown = null;
      let error: string | null = code === 0 ? null : `exit code ${code}`;
      try {
        data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      } catch {
        error ??= 'wrote no --json-out result';
      }
      runs.push({ part, ok: error === null, seconds, error, data });
      deps.log(`[bench] ${part} ${error === null ? 'done' : `FAILED (${error})`} in ${Math.round(seconds)} s`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const report = buildReport(runs, deps.machine(loadStart), new Date(deps.now()).toISOString(), quick);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.md'), renderMarkdown(report));
  const missed = report.figures.filter((f) => f.ok === false).map((f) => f.id);
  deps.log(`[bench] wrote ${join(outDir, 'report.md')} and report.json in ${Math.round((deps.now() - t0) / 1000)} s: ${report.figures.length} figures, ${missed.length ? `missed ${missed.join(', ')}` : 'every target met'}`);
  return runs.every((r) => r.ok) ? 0 : 1;
}
