/**
 * The hub's own figures, rendered in Prometheus text format at /metrics.
 * A counter is a plain object so the hot path pays one addition for it.
 */
export type Labels = Record<string, string>;

export class Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * A distribution in fixed buckets, as Prometheus histograms are: the count of
 * observations at or below each bound, their sum and their number.
 */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.counts[i]!++;
  }
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  counters: Map<string, Counter>;
  histograms?: Map<string, { labels: Labels; h: Histogram }>;
  read?: () => Array<[Labels, number]>;
}

export class Stats {
  private readonly families = new Map<string, Family>();

  /** The counter of one label set; the same call returns the same counter. */
  counter(name: string, help: string, labels: Labels = {}): Counter {
    const family = this.family(name, help, 'counter');
    const key = labelText(labels);
    let c = family.counters.get(key);
    if (!c) {
      c = new Counter();
      family.counters.set(key, c);
    }
    return c;
  }

  /** A gauge read from its owner at scrape time. */
  gauge(name: string, help: string, read: () => Array<[Labels, number]> | number): void {
    this.family(name, help, 'gauge').read = () => {
      const v = read();
      return typeof v === 'number' ? [[{}, v]] : v;
    };
  }

  /** A counter its owner keeps, read at scrape time. */
  counterFrom(name: string, help: string, read: () => Array<[Labels, number]> | number): void {
    this.family(name, help, 'counter').read = () => {
      const v = read();
      return typeof v === 'number' ? [[{}, v]] : v;
    };
  }

  /** The histogram of one label set, with `bounds` in the metric's unit. */
  histogram(name: string, help: string, bounds: readonly number[], labels: Labels = {}): Histogram {
    const family = this.family(name, help, 'histogram');
    const histograms = (family.histograms ??= new Map());
    const key = labelText(labels);
    let entry = histograms.get(key);
    if (!entry) {
      entry = { labels, h: new Histogram(bounds) };
      histograms.set(key, entry);
    }
    return entry.h;
  }

  value(name: string, labels: Labels = {}): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.read) return f.read().find(([l]) => labelText(l) === labelText(labels))?.[1] ?? 0;
    return f.counters.get(labelText(labels))?.value ?? 0;
  }

  /** The sum of a counter or gauge over all its label sets. */
  total(name: string): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.read) return f.read().reduce((n, [, v]) => n + v, 0);
    let n = 0;
    for (const c of f.counters.values()) n += c.value;
    return n;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.histograms) {
        for (const { labels, h } of f.histograms.values()) {
          h.bounds.forEach((le, i) => out.push(`${name}_bucket${labelText({ ...labels, le: String(le) })} ${h.counts[i]}`));
          out.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`, `${name}_sum${labelText(labels)} ${h.sum}`, `${name}_count${labelText(labels)} ${h.count}`);
        }
        continue;
      }
      const rows: Array<[string, number]> = f.read
        ? f.read().map(([l, v]) => [labelText(l), v])
        : [...f.counters].map(([l, c]) => [l, c.value]);
      for (const [labels, v] of rows) out.push(`${name}${labels} ${v}`);
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, counters: new Map() };
      this.families.set(name, f);
    }
    return f;
  }
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${labels[k]!.replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}
