import assert from "node:assert/strict";
import { canonicalJson } from "../../src/util/jcs.ts";

Deno.test("canonicalJson() sorts keys recursively and drops whitespace", () => {
  const text = canonicalJson({ b: 1, a: { z: [3, { y: true, x: null }], c: "s" } });
  assert.equal(text, '{"a":{"c":"s","z":[3,{"x":null,"y":true}]},"b":1}');
});

Deno.test("canonicalJson() orders keys by UTF-16 code units, not locale", () => {
  // "\u20ac" (0x20AC) sorts before "\ud83d\ude00" (0xD83D...) and after "a" and "Z".
  const text = canonicalJson({ "\ud83d\ude00": 1, "\u20ac": 2, a: 3, Z: 4 });
  assert.equal(text, '{"Z":4,"a":3,"\u20ac":2,"\ud83d\ude00":1}');
});

Deno.test("canonicalJson() serialises numbers and strings the ECMAScript way", () => {
  assert.equal(canonicalJson([1e21, 0.5, -0, 9007199254740991]), "[1e+21,0.5,0,9007199254740991]");
  assert.equal(canonicalJson('quote " and \\ and \u0001'), '"quote \\" and \\\\ and \\u0001"');
});

Deno.test("canonicalJson() omits undefined members and rejects non-finite numbers", () => {
  assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  assert.throws(() => canonicalJson({ n: NaN }));
  assert.throws(() => canonicalJson({ n: Infinity }));
});

Deno.test("canonicalJson() refuses absurd nesting instead of overflowing the stack", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), /nesting too deep/);
});
