// Test support: a small strict parser of the Prometheus text exposition format 0.0.4, used by the metrics tests of
// the registry and the daemon. It rejects anything our renderer should never produce: a line that is not HELP, TYPE
// or a sample; a family without TYPE or with two; samples of one family split apart; a duplicate series; a counter
// below 0; a histogram whose buckets are not ascending and cumulative, or whose +Inf bucket differs from _count.

export type Labels = Record<string, string>;

export interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: Map<string, Family>;
  /** The value of one series, or undefined when absent. */
  value(name: string, labels?: Labels): number | undefined;
  /** Every label value in the text. */
  labelValues(): string[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const HELP_RE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram)$`);
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{.*\\})? (\\S+)$`);
const LABEL_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/;
const VALUE_RE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

function fail(line: number, why: string, text: string): never {
  throw new Error(`exposition line ${line}: ${why}: ${JSON.stringify(text)}`);
}

function parseLabels(text: string, line: number): Labels {
  const out: Labels = {};
  let rest = text.slice(1, -1);
  while (rest.length > 0) {
    const m = LABEL_RE.exec(rest);
    if (m === null) fail(line, "bad label", text);
    if (m[1] in out) fail(line, "repeated label", text);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(m[0].length);
    if (rest.length > 0) {
      if (!rest.startsWith(",") || rest.length === 1) fail(line, "bad label separator", text);
      rest = rest.slice(1);
    }
  }
  return out;
}

function parseValue(text: string, line: number): number {
  if (!VALUE_RE.test(text)) fail(line, "bad value", text);
  return text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
}

function seriesKey(name: string, labels: Labels): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}

/** The family a sample name belongs to (histograms own `_bucket`, `_sum`, `_count`). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined) return direct.type === "histogram" ? undefined : direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const f = m === null ? undefined : families.get(m[1]);
  return f?.type === "histogram" ? f : undefined;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`histogram ${f.name}: bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (le !== undefined) throw new Error(`histogram ${f.name}: le on ${s.name}`);
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else g.count = s.value;
  }
  for (const [key, g] of groups) {
    const where = `histogram ${f.name}${key}`;
    if (g.sum === undefined || g.count === undefined) throw new Error(`${where}: _sum or _count missing`);
    if (g.buckets.length === 0 || g.buckets.at(-1)![0] !== Infinity) throw new Error(`${where}: no +Inf bucket`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i][0] <= g.buckets[i - 1][0]) throw new Error(`${where}: le not ascending`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${where}: buckets not cumulative`);
    }
    if (g.buckets.at(-1)![1] !== g.count) throw new Error(`${where}: +Inf bucket differs from _count`);
  }
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a newline");
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: Family | null = null;
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const n = i + 1;
    let m: RegExpExecArray | null;
    if ((m = HELP_RE.exec(line)) !== null) {
      if (helps.has(m[1])) fail(n, "second HELP", line);
      helps.set(m[1], m[2]);
    } else if ((m = TYPE_RE.exec(line)) !== null) {
      if (families.has(m[1])) fail(n, "second TYPE", line);
      if (current !== null) closed.add(current.name);
      current = { name: m[1], type: m[2] as Family["type"], help: helps.get(m[1]) ?? "", samples: [] };
      families.set(m[1], current);
    } else if ((m = SAMPLE_RE.exec(line)) !== null) {
      const f = familyOf(m[1], families);
      if (f === undefined) fail(n, "sample without TYPE", line);
      if (f !== current || closed.has(f.name)) fail(n, "sample apart from its family", line);
      const labels = m[2] === undefined ? {} : parseLabels(m[2], n);
      const value = parseValue(m[3], n);
      if (f.type === "counter" && !(value >= 0)) fail(n, "counter below 0", line);
      const key = seriesKey(m[1], labels);
      if (series.has(key)) fail(n, "duplicate series", line);
      series.add(key);
      f.samples.push({ name: m[1], labels, value });
    } else {
      fail(n, "not a HELP, TYPE or sample line", line);
    }
  });
  for (const name of helps.keys()) if (!families.has(name)) throw new Error(`HELP for ${name} without TYPE`);
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return {
    families,
    value(name, labels = {}) {
      const key = seriesKey(name, labels);
      for (const f of families.values()) {
        for (const s of f.samples) if (seriesKey(s.name, s.labels) === key) return s.value;
      }
      return undefined;
    },
    labelValues() {
      return [...families.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
    },
  };
}
