// A small Prometheus toolkit for the text exposition format, version 0.0.4 (CLI.md §3.1 and §3.2 `--metrics`):
// counters, gauges and histograms with fixed buckets, one `# HELP` and one `# TYPE` line per family, label values
// escaped as the format requires. The registry and the daemon both render with it.
// Label values must come from small closed sets (request types, error codes, drop reasons, directions): boundedLabel()
// folds anything else into "other", and every family caps its series, so no input can grow the output without bound
// or carry an identifier (node id, key, address, e-mail, endpoint) into a label.

export type Labels = Readonly<Record<string, string>>;

/** Past this many series a family counts new label sets under one series whose every label is "other". */
export const MAX_SERIES_PER_FAMILY = 1024;
export const OTHER_LABEL = "other";

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const BOUNDED_LABEL_RE = /^[a-z0-9_]{1,48}$/;

/** `value` when it is a short lower-case identifier (`bad_crc`, `register`), else "other". */
export function boundedLabel(value: string): string {
  return BOUNDED_LABEL_RE.test(value) ? value : OTHER_LABEL;
}

/** A label value as the format writes it between double quotes: backslash, quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes only backslash and newline. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: integers in full, other numbers in the shortest round-trip form, `+Inf`, `-Inf`, `NaN`. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

type FamilyType = "counter" | "gauge" | "histogram";

interface Renderable {
  readonly name: string;
  render(out: string[]): void;
}

abstract class Family<S> implements Renderable {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: FamilyType;
  /** Rendered label set (`{a="x"}`, or "" without labels) → series state. */
  protected readonly series = new Map<string, S>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!METRIC_NAME_RE.test(name)) throw new RangeError(`invalid metric name "${name}"`);
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME_RE.test(l) || l.startsWith("__") || l === "le" || seen.has(l)) {
        throw new RangeError(`invalid label name "${l}" for metric ${name}`);
      }
      seen.add(l);
    }
    this.name = name;
    this.help = help;
    this.labelNames = [...labelNames];
  }

  /** The series for `labels`, created with `init()` if new (or folded into "other" past the cap). */
  protected slot(labels: Labels, init: () => S): S {
    const key = this.labelText(labels);
    let s = this.series.get(key);
    if (s !== undefined) return s;
    if (this.series.size >= MAX_SERIES_PER_FAMILY) {
      const other = this.labelText(Object.fromEntries(this.labelNames.map((l) => [l, OTHER_LABEL])));
      s = this.series.get(other);
      if (s !== undefined) return s;
      s = init();
      this.series.set(other, s);
      return s;
    }
    s = init();
    this.series.set(key, s);
    return s;
  }

  /** `{a="x",b="y"}` in declaration order; throws when the label names differ from the declared ones. */
  protected labelText(labels: Labels): string {
    const keys = Object.keys(labels);
    if (keys.length !== this.labelNames.length || this.labelNames.some((l) => typeof labels[l] !== "string")) {
      throw new RangeError(
        `metric ${this.name} wants labels [${this.labelNames.join(", ")}], got [${keys.join(", ")}]`,
      );
    }
    if (keys.length === 0) return "";
    return `{${this.labelNames.map((l) => `${l}="${escapeLabelValue(labels[l])}"`).join(",")}}`;
  }

  /** HELP, TYPE and every sample line, series sorted by label text. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const key of [...this.series.keys()].sort()) this.renderSeries(out, key, this.series.get(key)!);
  }

  protected abstract renderSeries(out: string[], labelText: string, state: S): void;
}

function checkAmount(metric: string, n: number): void {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`metric ${metric}: invalid increment ${n}`);
}

export class Counter extends Family<{ value: number }> {
  readonly type = "counter";

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (labelNames.length === 0) this.inc({}, 0);
  }

  inc(labels: Labels = {}, by = 1): void {
    checkAmount(this.name, by);
    this.slot(labels, () => ({ value: 0 })).value += by;
  }

  /** For a total read from a source that only grows: raises the counter to `total`, never lowers it. */
  advanceTo(labels: Labels, total: number): void {
    checkAmount(this.name, total);
    const s = this.slot(labels, () => ({ value: 0 }));
    if (total > s.value) s.value = total;
  }

  value(labels: Labels = {}): number {
    return this.series.get(this.labelText(labels))?.value ?? 0;
  }

  protected renderSeries(out: string[], labelText: string, s: { value: number }): void {
    out.push(`${this.name}${labelText} ${formatSampleValue(s.value)}`);
  }
}

/** A gauge has no series until set, so a value that could not be read is absent rather than a false 0. */
export class Gauge extends Family<{ value: number }> {
  readonly type = "gauge";

  set(labels: Labels, value: number): void {
    this.slot(labels, () => ({ value: 0 })).value = value;
  }

  value(labels: Labels = {}): number | null {
    return this.series.get(this.labelText(labels))?.value ?? null;
  }

  clear(): void {
    this.series.clear();
  }

  protected renderSeries(out: string[], labelText: string, s: { value: number }): void {
    out.push(`${this.name}${labelText} ${formatSampleValue(s.value)}`);
  }
}

interface HistogramSeries {
  /** Per-bucket (not cumulative) counts; the last slot is the +Inf overflow. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Family<HistogramSeries> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  /** `buckets`: the finite upper bounds, strictly increasing; +Inf is implied. */
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]))) {
      throw new RangeError(`metric ${name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = [...buckets];
    if (labelNames.length === 0) this.#series({});
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) return;
    const s = this.#series(labels);
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Count and sum of one series (tests and diagnostics). */
  snapshot(labels: Labels = {}): { count: number; sum: number } {
    const s = this.series.get(this.labelText(labels));
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  #series(labels: Labels): HistogramSeries {
    return this.slot(labels, () => ({ counts: new Array(this.buckets.length + 1).fill(0), sum: 0, count: 0 }));
  }

  protected renderSeries(out: string[], labelText: string, s: HistogramSeries): void {
    // `le` goes last, inside the series' own label set.
    const open = labelText === "" ? "{" : `${labelText.slice(0, -1)},`;
    const bucketLine = (le: string, n: number) => `${this.name}_bucket${open}le="${le}"} ${n}`;
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += s.counts[i];
      out.push(bucketLine(formatSampleValue(b), cumulative));
    });
    out.push(bucketLine("+Inf", s.count));
    out.push(`${this.name}_sum${labelText} ${formatSampleValue(s.sum)}`, `${this.name}_count${labelText} ${s.count}`);
  }
}

/** The families of one process, rendered in registration order. */
export class MetricSet {
  readonly #families: Renderable[] = [];
  readonly #names = new Set<string>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.#add(new Histogram(name, help, buckets, labelNames));
  }

  /** The exposition text, ending in a newline. */
  render(): string {
    const out: string[] = [];
    for (const f of this.#families) f.render(out);
    return out.join("\n") + "\n";
  }

  #add<F extends Renderable>(family: F): F {
    if (this.#names.has(family.name)) throw new RangeError(`metric ${family.name} is already registered`);
    this.#names.add(family.name);
    this.#families.push(family);
    return family;
  }
}
