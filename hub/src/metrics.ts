/**
 * A small Prometheus registry: counters with labels, and gauges read at scrape time. The text
 * exposition format is simple enough that prom-client is not worth its weight here.
 */
type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: Map<string, { labels: Labels; value: number }>;
  read?: () => number | readonly { labels: Labels; value: number }[];
}

const key = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const f = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const k = key(labels);
      const cur = f.values.get(k);
      if (cur) cur.value += by;
      else f.values.set(k, { labels, value: by });
    };
  }

  /** A gauge whose value is read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => number | readonly { labels: Labels; value: number }[]): void {
    this.family(name, help, 'gauge').read = read;
  }

  /** Current value of a counter (tests and the health view). */
  value(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(key(labels))?.value ?? 0;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      let rows = [...f.values.values()];
      if (f.read) {
        const v = f.read();
        rows = typeof v === 'number' ? [{ labels: {}, value: v }] : [...v];
      }
      for (const r of rows) {
        const l = Object.entries(r.labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
        out.push(`${name}${l ? `{${l}}` : ''} ${r.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }
}
