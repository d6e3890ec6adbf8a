import assert from "node:assert/strict";
import { DatagramService, type ReceivedDatagram } from "../../src/transport/datagram.ts";
import { PilotError } from "../../src/util/errors.ts";
import { type Addr, type Packet, PROTO_DATAGRAM } from "../../src/wire/mod.ts";

const A: Addr = { network: 0, node: 0x101 };
const B: Addr = { network: 0, node: 0x102 };

function pair(trusted = true, pathLimit = 1152) {
  const drops: string[] = [];
  const got: ReceivedDatagram[] = [];
  const sent: { p: Packet; via: Addr }[] = [];
  const a = new DatagramService({
    localNode: A.node,
    output: (p, via) => {
      sent.push({ p, via });
      b.handle(p);
    },
    isTrusted: () => true,
    pathLimit: () => pathLimit,
  });
  const b = new DatagramService({
    localNode: B.node,
    output: () => {},
    isTrusted: () => trusted,
    onDrop: (r) => drops.push(r),
  });
  return { a, b, got, drops, sent };
}

Deno.test("DatagramService delivers a datagram to the binder of the destination port", () => {
  const n = pair();
  n.b.bind(5000, (d) => n.got.push(d));
  const s = n.a.bind(0, () => {});
  assert.ok(s.port >= 49152);
  s.sendTo(B, 5000, Uint8Array.of(1, 2, 3));
  assert.equal(n.got.length, 1);
  assert.deepEqual(n.got[0].src, A);
  assert.equal(n.got[0].srcPort, s.port);
  assert.deepEqual([...n.got[0].payload], [1, 2, 3]);
  const p = n.sent[0].p;
  assert.equal(p.proto, PROTO_DATAGRAM);
  assert.equal(p.flags, 0);
  assert.equal(p.seq, 0);
  assert.equal(p.ack, 0);
  assert.equal(p.window, 0);
});

Deno.test("DatagramService sends 0 up to the path limit and refuses more with invalid_argument too_large", () => {
  const n = pair(true, 1152);
  n.b.bind(5000, (d) => n.got.push(d));
  const s = n.a.bind(6000, () => {});
  s.sendTo(B, 5000, new Uint8Array(0));
  s.sendTo(B, 5000, new Uint8Array(1152));
  assert.throws(
    () => s.sendTo(B, 5000, new Uint8Array(1153)),
    (e: PilotError) => e.code === "invalid_argument" && e.detail === "too_large",
  );
  assert.equal(n.got.length, 2);
});

Deno.test("DatagramService drops datagrams for unbound ports and from untrusted peers", () => {
  const open = pair();
  open.a.bind(6000, () => {}).sendTo(B, 5000, Uint8Array.of(1));
  assert.deepEqual(open.drops, ["dgram_no_port"]);
  const closed = pair(false);
  closed.b.bind(5000, (d) => closed.got.push(d));
  closed.a.bind(6000, () => {}).sendTo(B, 5000, Uint8Array.of(1));
  assert.equal(closed.got.length, 0);
  assert.deepEqual(closed.drops, ["untrusted"]);
});

Deno.test("DatagramService refuses to send to an untrusted peer and to port 0", () => {
  const svc = new DatagramService({ localNode: A.node, output: () => {}, isTrusted: () => false });
  const s = svc.bind(7000, () => {});
  assert.throws(() => s.sendTo(B, 5000, Uint8Array.of(1)), (e: PilotError) => e.detail === "not_trusted");
  const ok = new DatagramService({ localNode: A.node, output: () => {}, isTrusted: () => true });
  assert.throws(
    () => ok.bind(7000, () => {}).sendTo(B, 0, Uint8Array.of(1)),
    (e: PilotError) => e.detail === "port_range",
  );
});

Deno.test("DatagramService: one binder per port, unbind frees it; a broadcast copy goes via the member", () => {
  const n = pair();
  const s = n.a.bind(6000, () => {});
  assert.throws(() => n.a.bind(6000, () => {}), (e: PilotError) => e.detail === "port_bound");
  s.close();
  const again = n.a.bind(6000, () => {});
  const bcast = { network: 5, node: 0xffffffff };
  n.b.bind(7000, (d) => n.got.push(d));
  again.sendTo(bcast, 7000, Uint8Array.of(9), B);
  assert.deepEqual(n.sent[0].via, B);
  assert.deepEqual(n.sent[0].p.dst, bcast);
  assert.deepEqual(n.sent[0].p.src, { network: 5, node: A.node });
});
