/**
 * The benchmark report: every figure beside its bare baseline measured in the same run, the ratio
 * (always value ÷ baseline), the target and whether it was met. Pure functions over the JSON the
 * device and hub benches write with `--json-out`, so the report can be rebuilt and tested without
 * running a benchmark.
 */

/** One row of the report. `ok` is null for figures shown for context that carry no target. */
export interface ReportFigure {
  readonly id: string;
  readonly area: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baselineName: string;
  readonly baseline: number;
  readonly ratio: number;
  readonly target: string;
  readonly ok: boolean | null;
}

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly totalMemMB: number;
  readonly node: string;
  readonly platform: string;
  readonly commit: string | null;
  /** 1-minute load average when the run started and ended: other work on a shared machine shows here. */
  readonly loadStart: number;
  readonly loadEnd: number;
}

export interface PartRun {
  readonly part: 'device' | 'hub';
  readonly ok: boolean;
  readonly seconds: number;
  readonly error: string | null;
  /** What the bench wrote with --json-out, or null when it wrote nothing. */
  readonly data: unknown;
}

export interface Report {
  readonly generatedAt: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly figures: readonly ReportFigure[];
  readonly runs: readonly { part: string; ok: boolean; seconds: number; error: string | null }[];
  readonly raw: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (o: Obj, k: string): number | null => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : null);

function figure(f: Omit<ReportFigure, 'ratio'>): ReportFigure {
  return { ...f, ratio: f.baseline === 0 ? Number.NaN : f.value / f.baseline };
}

/** Device figures: the device bench states its own targets (device/bench/index.ts). */
export function deviceFigures(data: unknown): ReportFigure[] {
  if (!isObj(data) || !Array.isArray(data.figures)) return [];
  const out: ReportFigure[] = [];
  for (const f of data.figures) {
    if (!isObj(f)) continue;
    const value = num(f, 'value');
    const baseline = num(f, 'baseline');
    if (value === null || baseline === null || typeof f.id !== 'string') continue;
    const target = String(f.target ?? '');
    // A target in parentheses is context, not a promise (e.g. RSS before V8 has idled).
    const ok = target.startsWith('(') ? null : f.ok === true;
    out.push(figure({ id: f.id, area: 'device', name: String(f.name), value, unit: String(f.unit), baselineName: String(f.baselineName), baseline, target, ok }));
  }
  return out;
}

/** Hub figures from its summary; the targets are issue 4 (ingest, heartbeat) and issue 6 (forwarding). */
export function hubFigures(data: unknown): ReportFigure[] {
  if (!isObj(data)) return [];
  const out: ReportFigure[] = [];
  const ing = isObj(data.ingest) ? data.ingest : null;
  if (ing) {
    const hub = num(ing, 'hubRatingsPerS');
    const bare = num(ing, 'bareRatingsPerS');
    const echo = num(ing, 'echoRatingsPerS');
    if (hub !== null && bare !== null) {
      out.push(figure({
        id: 'hub.ingest', area: 'hub ingest', name: 'publish → commit → ack', value: hub, unit: 'ratings/s', baselineName: 'bare aedes QoS 1 publish', baseline: bare,
        target: 'ratio ≥ 0.5× and ≥ 5,000/s', ok: hub >= 0.5 * bare && hub >= 5000,
      }));
    }
    if (hub !== null && echo !== null) {
      out.push(figure({ id: 'hub.ingest.echo', area: 'hub ingest', name: 'publish → commit → ack', value: hub, unit: 'ratings/s', baselineName: 'aedes echo round trip (no work)', baseline: echo, target: '(context)', ok: null }));
    }
  }
  const hb = isObj(data.heartbeat) ? data.heartbeat : null;
  if (hb) {
    const rss = num(hb, 'hubRssMB');
    const bareRss = num(hb, 'bareRssMB');
    const cpu = num(hb, 'hubCpuPct');
    const bareCpu = num(hb, 'bareCpuPct');
    const devices = isObj(data.settings) ? num(data.settings, 'hbDevices') : null;
    const label = devices === null ? 'heartbeating devices' : `${devices.toLocaleString('en-US')} heartbeating devices`;
    if (rss !== null && bareRss !== null) {
      out.push(figure({ id: 'hub.heartbeat.rss', area: 'hub heartbeat', name: `hub RSS, ${label}`, value: rss, unit: 'MB', baselineName: 'bare aedes, same clients', baseline: bareRss, target: '≤ 400 MB', ok: rss <= 400 }));
    }
    if (cpu !== null && bareCpu !== null) {
      out.push(figure({ id: 'hub.heartbeat.cpu', area: 'hub heartbeat', name: `hub CPU, ${label}`, value: cpu, unit: '% of a core', baselineName: 'bare aedes, same clients', baseline: bareCpu, target: '≤ 25 %', ok: cpu <= 25 }));
    }
  }
  const fw = isObj(data.forward) ? data.forward : null;
  if (fw) {
    for (const row of Array.isArray(fw.throughput) ? fw.throughput : []) {
      if (!isObj(row)) continue;
      const batch = num(row, 'batch');
      const fwd = num(row, 'forwardRps');
      const bare = num(row, 'bareRps');
      if (batch === null || fwd === null || bare === null) continue;
      const gated = batch === 500;
      out.push(figure({
        id: `hub.forward.batch${batch}`, area: 'hub forwarding', name: `forward, batch ${batch}`, value: fwd, unit: 'records/s', baselineName: 'simulator bare accept', baseline: bare,
        target: gated ? 'ratio ≥ 0.8×' : '(context)', ok: gated ? fwd >= 0.8 * bare : null,
      }));
    }
    const d = isObj(fw.drain) ? fw.drain : null;
    if (d) {
      const drainS = num(d, 'drainS');
      const bareS = num(d, 'bareS');
      const records = num(d, 'records');
      const targetS = num(d, 'targetS') ?? 120;
      if (drainS !== null && bareS !== null) {
        out.push(figure({
          id: 'hub.forward.drain', area: 'hub forwarding', name: `drain ${records === null ? '' : `${records.toLocaleString('en-US')} `}records after an outage`, value: drainS, unit: 's',
          baselineName: 'bare accept of the same records', baseline: bareS, target: `< ${targetS} s`, ok: drainS < targetS,
        }));
      }
    }
  }
  return out;
}

export function buildReport(runs: readonly PartRun[], machine: MachineInfo, generatedAt: string, quick: boolean): Report {
  const figures: ReportFigure[] = [];
  const raw: Record<string, unknown> = {};
  for (const r of runs) {
    raw[r.part] = r.data;
    figures.push(...(r.part === 'device' ? deviceFigures(r.data) : hubFigures(r.data)));
  }
  return { generatedAt, quick, machine, figures, runs: runs.map(({ part, ok, seconds, error }) => ({ part, ok, seconds, error })), raw };
}

/** Numbers as the benches print them: thousands separated, small values with 3 decimals. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const met = r.figures.filter((f) => f.ok === true).length;
  const missed = r.figures.filter((f) => f.ok === false);
  const lines: string[] = [
    '# hcp benchmark report',
    '',
    `Generated by \`npm run bench\` on ${r.generatedAt}${r.quick ? ' — **quick run (small sizes, figures not comparable with a full run)**' : ''}.`,
    'Regenerate it with `npm run bench`; figures move between runs on a shared machine (see the load averages).',
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.totalMemMB)} MB RAM, ${m.platform}, Node ${m.node}, commit ${m.commit ?? 'unknown'}; ` +
      `1-min load average ${m.loadStart.toFixed(2)} at start, ${m.loadEnd.toFixed(2)} at end.`,
    '',
    `Targets: ${met} met, ${missed.length} missed${missed.length ? ` (${missed.map((f) => f.id).join(', ')})` : ''}. Ratio = value ÷ baseline, both from the same run.`,
    '',
    '| area | figure | value | baseline (same run) | ratio | target | result |',
    '|---|---|---:|---|---:|---|---|',
  ];
  for (const f of r.figures) {
    const result = f.ok === null ? '—' : f.ok ? 'met' : '**MISSED**';
    lines.push(`| ${cell(f.area)} | ${cell(f.name)} | ${fmt(f.value)} ${cell(f.unit)} | ${cell(f.baselineName)}: ${fmt(f.baseline)} ${cell(f.unit)} | ${f.ratio.toFixed(2)}× | ${cell(f.target)} | ${result} |`);
  }
  lines.push('', '## Runs', '');
  for (const run of r.runs) {
    lines.push(`- ${run.part}: ${run.ok ? 'completed' : `**FAILED** (${run.error ?? 'no result'})`} in ${Math.round(run.seconds)} s`);
  }
  lines.push('', 'Raw results of each bench (its settings and every measured number) are in `report.json` under `raw`.', '');
  return lines.join('\n');
}
