import assert from "node:assert/strict";
import { RST_TIMEOUT } from "../../src/transport/rst.ts";
import { FLAG_ACK, FLAG_RST } from "../../src/wire/mod.ts";
import { craft, isPureAck, isRst, Lab } from "./lab.ts";

const ISN_A = 0x0a000000;
const ISN_B = 0x0b000000;

function openLab(): Lab {
  const lab = new Lab({ a: { isn: () => ISN_A }, b: { isn: () => ISN_B } });
  lab.open();
  return lab;
}

Deno.test("a RST with Seq = RCV.NXT resets the connection and reports its reason byte", () => {
  const lab = openLab();
  lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A + 1, payload: Uint8Array.of(RST_TIMEOUT) }));
  assert.deepEqual(lab.b.closed, { kind: "reset", rst: RST_TIMEOUT });
  assert.equal(lab.b.take().length, 0); // never answer RST with RST
});

Deno.test("an in-window RST with another Seq gets a challenge ACK; an out-of-window one is dropped", () => {
  const lab = openLab();
  lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A + 100 }));
  assert.equal(lab.b.state, "ESTABLISHED");
  const [challenge] = lab.b.take();
  assert.ok(isPureAck(challenge));
  assert.equal(challenge.ack, (ISN_A + 1) >>> 0);
  lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A - 100 }));
  lab.deliver("b", craft("a", { flags: FLAG_RST | FLAG_ACK, seq: ISN_A + 50_000_000 }));
  assert.equal(lab.b.take().length, 0);
  assert.equal(lab.b.state, "ESTABLISHED");
});

Deno.test("challenge ACKs are limited to 10 per second", () => {
  const lab = openLab();
  for (let i = 0; i < 30; i++) lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A + 100 + i }));
  assert.equal(lab.b.take().length, 10);
  lab.clock.advance(1000);
  lab.deliver("b", craft("a", { flags: FLAG_RST, seq: ISN_A + 100 }));
  assert.equal(lab.b.take().filter(isPureAck).length, 1);
});

Deno.test("an ACK beyond SND.NXT is dropped and answered with an ACK", () => {
  const lab = openLab();
  lab.deliver(
    "b",
    craft("a", { flags: FLAG_ACK, seq: ISN_A + 1, ack: ISN_B + 5000, payload: new TextEncoder().encode("x") }),
  );
  const out = lab.b.take();
  assert.equal(out.length, 1);
  assert.ok(isPureAck(out[0]));
  assert.equal(out[0].ack, (ISN_A + 1) >>> 0); // the data was not taken
  assert.equal(lab.b.data.length, 0);
});

Deno.test("a segment outside the window is dropped and answered with an immediate ACK", () => {
  const lab = openLab();
  lab.deliver(
    "b",
    craft("a", { flags: FLAG_ACK, seq: ISN_A + 10_000_000, ack: ISN_B + 1, payload: new Uint8Array(5) }),
  );
  const [ack] = lab.b.take();
  assert.ok(isPureAck(ack));
  assert.equal(lab.b.data.length, 0);
});

Deno.test("the idle timeout aborts with RST 6 after 120 s without receiving anything", () => {
  const lab = openLab();
  let keepalives = 0;
  for (let t = 0; t < 130; t++) {
    lab.clock.advance(1000);
    for (const p of lab.a.take()) {
      if (isRst(p)) {
        assert.deepEqual([...p.payload], [RST_TIMEOUT]);
      } else {
        // Keepalive: an ACK with Seq = SND.NXT − 1 and no payload.
        assert.ok(isPureAck(p));
        assert.equal(p.seq, ISN_A);
        keepalives++;
      }
    }
    lab.b.take(); // b's own keepalives are lost too
  }
  assert.equal(keepalives, 3); // at 30, 60 and 90 s
  assert.deepEqual(lab.a.closed, { kind: "timeout", detail: "idle" });
});

Deno.test("keepalives are answered, so an idle but healthy connection stays up", () => {
  const lab = openLab();
  for (let t = 0; t < 300; t++) {
    lab.clock.advance(1000);
    lab.flush();
  }
  assert.equal(lab.a.state, "ESTABLISHED");
  assert.equal(lab.b.state, "ESTABLISHED");
});
