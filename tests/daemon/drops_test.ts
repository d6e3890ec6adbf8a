// The drop registry (`pilot_drops_total{reason}`): counts, attached sources, absorption of a replaced source.
import assert from "node:assert/strict";
import { DropRegistry } from "../../src/daemon/mod.ts";

Deno.test("DropRegistry merges its own counts with attached sources, sorted by reason", () => {
  const drops = new DropRegistry();
  drops.add("untrusted");
  drops.add("untrusted", 2);
  const tunnel = { bad_magic: 4, untrusted: 1 };
  drops.attach(() => tunnel);
  assert.deepEqual(drops.snapshot(), { bad_magic: 4, untrusted: 4 });
  assert.equal(drops.get("bad_magic"), 4);
});

Deno.test("DropRegistry keeps an absorbed source's counts after it is gone", () => {
  const drops = new DropRegistry();
  const counts = { replay: 2 };
  const source = () => counts;
  drops.attach(source);
  drops.absorb(source);
  counts.replay = 100;
  assert.deepEqual(drops.snapshot(), { replay: 2 });
});

Deno.test("DropRegistry folds odd reason labels into `other` and renders Prometheus lines", () => {
  const drops = new DropRegistry();
  drops.add('evil"label');
  drops.add("bad_crc");
  assert.deepEqual(drops.prometheusLines(), [
    "# TYPE pilot_drops_total counter",
    'pilot_drops_total{reason="bad_crc"} 1',
    'pilot_drops_total{reason="other"} 1',
  ]);
});
