import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HELP, main, partCommand, type Part, type RunnerDeps } from '../../src/bench/cli.js';
import type { MachineInfo } from '../../src/bench/report.js';

const machine = (loadStart: number): MachineInfo => ({ cores: 2, cpuModel: 'cpu', totalMemMB: 1024, node: 'v20', platform: 'linux', commit: 'c0ffee0', loadStart, loadEnd: 0 });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Fake benches: each writes the JSON its real counterpart would write to the --json-out path it was given. */
function deps(results: Partial<Record<Part, { code: number; json?: unknown }>>, lines: string[]): RunnerDeps & { calls: string[][] } {
  const calls: string[][] = [];
  let t = 0;
  return {
    calls,
    log: (l) => lines.push(l),
    now: () => (t += 1000),
    machine,
    runPart: async (part, cmd, onLine) => {
      calls.push(cmd.args);
      onLine(`running ${part}`);
      const r = results[part] ?? { code: 1 };
      const out = cmd.args[cmd.args.indexOf('--json-out') + 1]!;
      if (r.json !== undefined) writeFileSync(out, JSON.stringify(r.json));
      return r.code;
    },
  };
}

describe('npm run bench (runner)', () => {
  it('--help explains what it writes', async () => {
    const w = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['--help'])).toBe(0);
    expect(String(w.mock.calls[0]![0])).toContain('bench/report.md');
    expect(HELP).toContain('--quick');
  });

  it('runs device then hub (hub with --all for forwarding), streams their lines, writes both reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hcp-bench-test-'));
    dirs.push(out);
    const lines: string[] = [];
    const d = deps({
      device: { code: 0, json: { figures: [{ id: 'device.start', name: 'start to ready', value: 500, unit: 'ms', baselineName: 'bare node start', baseline: 100, target: '≤ 1,500 ms', ok: true }] } },
      hub: { code: 0, json: { ingest: { bareRatingsPerS: 10_000, hubRatingsPerS: 6000, echoRatingsPerS: 8000 } } },
    }, lines);
    expect(await main(['--out', out], d)).toBe(0);
    expect(d.calls.map((a) => a.slice(0, 4))).toEqual([['run', 'bench', '-w', 'device'], ['run', 'bench', '-w', 'hub']]);
    expect(d.calls[1]).toContain('--all');
    expect(lines).toContain('[device] running device');
    expect(lines.some((l) => l.startsWith('[bench] 1/2 device'))).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { figures: { id: string; ok: boolean | null }[]; machine: MachineInfo; raw: Record<string, unknown> };
    expect(json.figures.map((f) => f.id)).toEqual(['device.start', 'hub.ingest', 'hub.ingest.echo']);
    expect(json.machine.cores).toBe(2);
    expect(Object.keys(json.raw)).toEqual(['device', 'hub']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| device | start to ready | 500.0 ms | bare node start: 100.0 ms | 5.00× | ≤ 1,500 ms | met |');
  });

  it('a bench that fails still yields a report naming it, and exit code 1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hcp-bench-test-'));
    dirs.push(out);
    const d = deps({ device: { code: 3 } }, []);
    expect(await main(['--only', 'device', '--out', out], d)).toBe(1);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('- device: **FAILED** (exit code 3)');
    expect(d.calls).toHaveLength(1);
  });

  it('refuses unknown parts and options before running anything', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hcp-bench-test-'));
    dirs.push(out);
    const lines: string[] = [];
    const d = deps({}, lines);
    expect(await main(['--only', 'gpu', '--out', out], d)).toBe(2);
    expect(await main(['--fast'], d)).toBe(2);
    expect(d.calls).toHaveLength(0);
    expect(existsSync(join(out, 'report.md'))).toBe(false);
    expect(lines.join('\n')).toContain('unknown part(s) gpu');
  });

  it('--quick shrinks both benches (and says so in the report)', () => {
    expect(partCommand('device', 'f', true).args).toEqual(expect.arrayContaining(['--drain', '10000', '--idle', '5']));
    expect(partCommand('hub', 'f', true).env).toEqual({ BENCH_QUICK: '1' });
    expect(partCommand('hub', 'f', false).env).toEqual({});
    expect(partCommand('device', 'f', false).args).toEqual(['run', 'bench', '-w', 'device', '--', '--json-out', 'f']);
  });
});
