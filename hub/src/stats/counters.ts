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

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  counters: Map<string, Counter>;
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

  value(name: string, labels: Labels = {}): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.read) return f.read().find(([l]) => labelText(l) === labelText(labels))?.[1] ?? 0;
    return f.counters.get(labelText(labels))?.value ?? 0;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
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
