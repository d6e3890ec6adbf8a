// The Prometheus toolkit (src/util/metrics_text.ts): HELP/TYPE lines, label escaping, value formatting, counters,
// gauges, histograms with fixed buckets, the series cap — and the strict test parser rejecting malformed text.
import assert from "node:assert/strict";
import {
  boundedLabel,
  escapeHelp,
  escapeLabelValue,
  formatSampleValue,
  MAX_SERIES_PER_FAMILY,
  MetricSet,
} from "../../src/util/metrics_text.ts";
import { parseExposition } from "../registry/_metrics_parser.ts";

Deno.test("escapeLabelValue() escapes backslash, quote and newline; escapeHelp() only backslash and newline", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeHelp('a\\b"c\nd'), 'a\\\\b"c\\nd');
});

Deno.test("formatSampleValue() writes integers, decimals, infinities and NaN as the format expects", () => {
  assert.deepEqual([0, 42, 0.25, 1e-7, Infinity, -Infinity, NaN].map(formatSampleValue), [
    "0",
    "42",
    "0.25",
    "1e-7",
    "+Inf",
    "-Inf",
    "NaN",
  ]);
});

Deno.test("boundedLabel() keeps short lower-case identifiers and folds anything else into other", () => {
  assert.equal(boundedLabel("bad_crc"), "bad_crc");
  for (const v of ["", "Bad", 'x"y', "0:0000.0000.0100", "127.0.0.1:9000", "a@b.c", "x".repeat(49)]) {
    assert.equal(boundedLabel(v), "other", v);
  }
});

Deno.test("MetricSet.render() writes HELP and TYPE once per family and sorts series", () => {
  const set = new MetricSet();
  const c = set.counter("demo_total", "A demo\ncounter.", ["kind"]);
  const g = set.gauge("demo_level", "A gauge.");
  c.inc({ kind: "b" }, 2);
  c.inc({ kind: "a" });
  c.inc({ kind: "b" });
  g.set({}, 7);
  assert.equal(
    set.render(),
    [
      "# HELP demo_total A demo\\ncounter.",
      "# TYPE demo_total counter",
      'demo_total{kind="a"} 1',
      'demo_total{kind="b"} 3',
      "# HELP demo_level A gauge.",
      "# TYPE demo_level gauge",
      "demo_level 7",
      "",
    ].join("\n"),
  );
  parseExposition(set.render());
});

Deno.test("a counter without labels starts at 0; a gauge has no sample until set and none after clear()", () => {
  const set = new MetricSet();
  set.counter("c_total", "c");
  const g = set.gauge("g", "g");
  assert.match(set.render(), /^c_total 0$/m);
  assert.doesNotMatch(set.render(), /^g /m);
  g.set({}, 1);
  assert.match(set.render(), /^g 1$/m);
  g.clear();
  assert.doesNotMatch(set.render(), /^g /m);
});

Deno.test("Counter.advanceTo() raises to a total and never lowers; inc() refuses negative amounts", () => {
  const c = new MetricSet().counter("x_total", "x", ["r"]);
  c.advanceTo({ r: "a" }, 5);
  c.advanceTo({ r: "a" }, 3);
  assert.equal(c.value({ r: "a" }), 5);
  assert.throws(() => c.inc({ r: "a" }, -1), RangeError);
  assert.throws(() => c.inc({ r: "a" }, NaN), RangeError);
});

Deno.test("labels must match the declared names exactly", () => {
  const c = new MetricSet().counter("x_total", "x", ["a"]);
  assert.throws(() => c.inc({}), RangeError);
  assert.throws(() => c.inc({ a: "1", b: "2" }), RangeError);
  assert.throws(() => c.inc({ b: "1" }), RangeError);
});

Deno.test("invalid metric and label names, le on a histogram, and a second registration are refused", () => {
  const set = new MetricSet();
  assert.throws(() => set.counter("1bad", "x"), RangeError);
  assert.throws(() => set.counter("ok_total", "x", ["__reserved"]), RangeError);
  assert.throws(() => set.counter("ok_total", "x", ["a", "a"]), RangeError);
  assert.throws(() => set.histogram("h", "x", [1], ["le"]), RangeError);
  assert.throws(() => set.histogram("h", "x", [2, 1]), RangeError);
  assert.throws(() => set.histogram("h", "x", []), RangeError);
  set.gauge("dup", "x");
  assert.throws(() => set.gauge("dup", "x"), RangeError);
});

Deno.test("Histogram renders cumulative buckets, +Inf equal to _count, and _sum, le last", () => {
  const set = new MetricSet();
  const h = set.histogram("lat_seconds", "latency", [0.1, 1], ["type"]);
  for (const v of [0.05, 0.1, 0.5, 3]) h.observe({ type: "x" }, v);
  h.observe({ type: "x" }, NaN);
  const text = set.render();
  assert.equal(
    text.split("\n").filter((l) => !l.startsWith("#")).join("\n"),
    [
      'lat_seconds_bucket{type="x",le="0.1"} 2',
      'lat_seconds_bucket{type="x",le="1"} 3',
      'lat_seconds_bucket{type="x",le="+Inf"} 4',
      'lat_seconds_sum{type="x"} 3.65',
      'lat_seconds_count{type="x"} 4',
      "",
    ].join("\n"),
  );
  assert.deepEqual(h.snapshot({ type: "x" }), { count: 4, sum: 3.65 });
  parseExposition(text);
});

Deno.test("an unlabelled histogram renders zero buckets before any observation", () => {
  const set = new MetricSet();
  set.histogram("rtt_seconds", "rtt", [0.5]);
  const e = parseExposition(set.render());
  assert.equal(e.value("rtt_seconds_bucket", { le: "+Inf" }), 0);
  assert.equal(e.value("rtt_seconds_count"), 0);
});

Deno.test("a family past MAX_SERIES_PER_FAMILY counts new label sets under one all-other series", () => {
  const set = new MetricSet();
  const c = set.counter("many_total", "many", ["k"]);
  for (let i = 0; i < MAX_SERIES_PER_FAMILY + 10; i++) c.inc({ k: `v${i}` });
  const e = parseExposition(set.render());
  assert.equal(e.families.get("many_total")!.samples.length, MAX_SERIES_PER_FAMILY + 1);
  assert.equal(c.value({ k: "other" }), 10);
});

Deno.test("label values with quotes, backslashes and newlines survive a round trip through the parser", () => {
  const set = new MetricSet();
  set.gauge("odd", "odd", ["v"]).set({ v: 'a"b\\c\nd' }, 1);
  assert.equal(parseExposition(set.render()).labelValues()[0], 'a"b\\c\nd');
});

Deno.test("parseExposition() rejects malformed or inconsistent text", () => {
  const bad = [
    "x 1", // no trailing newline
    "# TYPE x counter\nx 1\nx 2\n", // duplicate series
    "x 1\n", // sample without TYPE
    "# TYPE x counter\n# TYPE x counter\nx 1\n", // second TYPE
    "# TYPE x counter\nx -1\n", // counter below 0
    "# TYPE x gauge\nx one\n", // bad value
    '# TYPE x gauge\nx{a="1",} 1\n', // trailing comma
    '# TYPE x gauge\nx{a="\\t"} 1\n', // bad escape
    "# TYPE x gauge\n# TYPE y gauge\ny 1\nx 1\n", // family split apart
    "# comment\n", // neither HELP, TYPE nor a sample
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n', // +Inf ≠ count
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
});
