/** Small helpers for printing figures beside their baselines. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Figure {
  /** Stable key for machine-readable reports (e.g. `device.latency.p50`). */
  readonly id: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baselineName: string;
  readonly baseline: number;
  /** How the ratio is read against the target, e.g. "≤ 1.5×". */
  readonly target: string;
  readonly ok: boolean;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.name, `${fmt(f.value)} ${f.unit}`, `${f.baselineName}: ${fmt(f.baseline)} ${f.unit}`, `${(f.value / f.baseline).toFixed(2)}×`, f.target, f.ok ? 'ok' : 'MISSED',
  ]);
  const head = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}
