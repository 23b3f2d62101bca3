import { describe, expect, it } from 'vitest';
import { buildReport, deviceFigures, hubFigures, renderMarkdown, type MachineInfo } from '../../src/bench/report.js';

const machine: MachineInfo = { cores: 2, cpuModel: 'Test CPU', totalMemMB: 4096, node: 'v20.20.2', platform: 'linux 6.1', commit: 'abc1234', loadStart: 1.5, loadEnd: 2.25 };

// Shapes as device/bench/index.ts and hub/bench/index.ts write them with --json-out.
const device = {
  bench: 'device',
  figures: [
    { id: 'device.latency.p50', name: 'press→committed p50', value: 0.2, unit: 'ms', baselineName: 'bare FULL insert p50', baseline: 0.16, target: 'ratio ≤ 1.5×', ok: true },
    { id: 'device.latency.p99', name: 'press→committed p99', value: 0.5, unit: 'ms', baselineName: 'bare FULL insert p99', baseline: 0.25, target: 'ratio ≤ 1.5×', ok: false },
    { id: 'device.rss.early', name: 'RSS 3 s after ready', value: 80, unit: 'MB', baselineName: 'bare node idle', baseline: 40, target: '(not idle yet)', ok: true },
  ],
};
const hub = {
  bench: 'hub',
  settings: { hbDevices: 5000 },
  ingest: { bareRatingsPerS: 12_000, echoRatingsPerS: 9000, hubRatingsPerS: 7000 },
  heartbeat: { bareRssMB: 120, bareCpuPct: 5, hubRssMB: 260, hubCpuPct: 30, heartbeatsPerS: 500 },
  forward: {
    throughput: [
      { batch: 1, records: 1000, bareRps: 800, forwardRps: 640, ratio: 0.8 },
      { batch: 500, records: 50_000, bareRps: 80_000, forwardRps: 60_000, ratio: 0.75 },
    ],
    drain: { records: 200_000, outageS: 5, drainS: 12, bareS: 3, ratio: 0.25, targetS: 120 },
  },
};

describe('bench report', () => {
  it('device figures keep the bench targets; ratios are value ÷ baseline; a parenthesised target is context', () => {
    const f = deviceFigures(device);
    expect(f.map((x) => [x.id, x.ok])).toEqual([['device.latency.p50', true], ['device.latency.p99', false], ['device.rss.early', null]]);
    expect(f[0]!.ratio).toBeCloseTo(1.25);
    expect(f[1]!.ratio).toBeCloseTo(2);
  });

  it('hub figures: ingest, heartbeat and forwarding against the issue targets', () => {
    const f = Object.fromEntries(hubFigures(hub).map((x) => [x.id, x]));
    expect(Object.keys(f)).toEqual(['hub.ingest', 'hub.ingest.echo', 'hub.heartbeat.rss', 'hub.heartbeat.cpu', 'hub.forward.batch1', 'hub.forward.batch500', 'hub.forward.drain']);
    expect(f['hub.ingest']!.ok).toBe(true); // 7,000/s ≥ 5,000 and 0.58× ≥ 0.5×
    expect(f['hub.ingest']!.ratio).toBeCloseTo(7000 / 12000);
    expect(f['hub.ingest.echo']!.ok).toBeNull();
    expect(f['hub.heartbeat.rss']!.ok).toBe(true);
    expect(f['hub.heartbeat.cpu']!.ok).toBe(false); // 30 % > 25 %
    expect(f['hub.heartbeat.rss']!.name).toContain('5,000');
    expect(f['hub.forward.batch1']!.ok).toBeNull();
    expect(f['hub.forward.batch500']!.ok).toBe(false); // 0.75× < 0.8×
    expect(f['hub.forward.drain']).toMatchObject({ value: 12, baseline: 3, ok: true, target: '< 120 s' });
  });

  it('ingest below 5,000/s misses even when the ratio is met', () => {
    const f = hubFigures({ ingest: { bareRatingsPerS: 6000, hubRatingsPerS: 4000 } });
    expect(f[0]).toMatchObject({ id: 'hub.ingest', ok: false });
  });

  it('tolerates missing or malformed parts (a bench that failed): no figures, no throw', () => {
    expect(hubFigures(null)).toEqual([]);
    expect(hubFigures({ forward: { throughput: [{ batch: 'x' }], drain: {} } })).toEqual([]);
    expect(deviceFigures({ figures: [{ id: 1 }] })).toEqual([]);
  });

  it('markdown lists every figure with its baseline, ratio and result, the machine, and failed runs', () => {
    const r = buildReport(
      [{ part: 'device', ok: true, seconds: 120, error: null, data: device }, { part: 'hub', ok: false, seconds: 30, error: 'exit code 1', data: hub }],
      machine, '2026-11-21T10:00:00.000Z', false,
    );
    expect(r.figures).toHaveLength(3 + 7);
    const md = renderMarkdown(r);
    expect(md).toContain('2 cores (Test CPU)');
    expect(md).toContain('Node v20.20.2');
    expect(md).toContain('commit abc1234');
    expect(md).toContain('| device | press→committed p50 | 0.200 ms | bare FULL insert p50: 0.160 ms | 1.25× | ratio ≤ 1.5× | met |');
    expect(md).toContain('| hub forwarding | forward, batch 500 | 60,000 records/s | simulator bare accept: 80,000 records/s | 0.75× | ratio ≥ 0.8× | **MISSED** |');
    expect(md).toContain('missed (device.latency.p99, hub.heartbeat.cpu, hub.forward.batch500)');
    expect(md).toContain('- hub: **FAILED** (exit code 1)');
    expect(md).not.toContain('quick run');
    expect(renderMarkdown({ ...r, quick: true })).toContain('quick run');
  });
});
