// PacketIn: the §2.3 receive checks in order and the §6.4 trust filter (PROTOCOL-BRIEF §1.3, §2.3, §6.4, §7.9,
// §7.10), against a real StreamStack so the untrusted SYN's RST 2 is the stack's own answer.
import assert from "node:assert/strict";
import { PacketIn } from "../../src/daemon/packet_in.ts";
import { StreamStack, type TimerSource } from "../../src/transport/mod.ts";
import { ManualClock } from "../../src/util/clock.ts";
import {
  type Addr,
  decodePacket,
  encodePacket,
  encodeSynOptions,
  FLAG_ACK,
  FLAG_RST,
  FLAG_SYN,
  type Packet,
  PROTO_CONTROL,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  WIRE_VERSION,
} from "../../src/wire/mod.ts";

const SELF = 0x101;
const PEER = 0x102;
const STRANGER = 0x103;
const NET = 7;

const noTimers: TimerSource = { schedule: () => ({}), cancel: () => {} };

function rig(options: { trusted?: number[]; networks?: number[] } = {}) {
  const trusted = new Set([SELF, ...(options.trusted ?? [PEER])]);
  const networks = new Set([0, ...(options.networks ?? [NET])]);
  const sent: Packet[] = [];
  const drops: string[] = [];
  const datagrams: Packet[] = [];
  const controls: Packet[] = [];
  const stack = new StreamStack({
    clock: new ManualClock(),
    timers: noTimers,
    localNode: SELF,
    output: (p) => sent.push(p),
    isTrusted: (a: Addr) => trusted.has(a.node),
  });
  const streams: Packet[] = [];
  const untrusted: number[] = [];
  const packetIn = new PacketIn({
    localNode: SELF,
    isMember: (n) => networks.has(n),
    isTrusted: (n) => trusted.has(n),
    stream: (p) => {
      streams.push(p);
      stack.handle(p);
    },
    datagram: (p) => datagrams.push(p),
    control: (p) => controls.push(p),
    drop: (r) => drops.push(r),
    untrusted: (peer) => untrusted.push(peer),
  });
  return { packetIn, stack, sent, drops, datagrams, controls, streams, untrusted };
}

function pkt(over: Partial<Packet> = {}): Packet {
  return {
    version: WIRE_VERSION,
    flags: 0,
    proto: PROTO_DATAGRAM,
    src: { network: 0, node: PEER },
    dst: { network: 0, node: SELF },
    srcPort: 5000,
    dstPort: 6000,
    seq: 0,
    ack: 0,
    window: 0,
    payload: new Uint8Array([1, 2, 3]),
    ...over,
  };
}

function syn(from: number, dstPort: number): Packet {
  return pkt({
    flags: FLAG_SYN,
    proto: PROTO_STREAM,
    src: { network: 0, node: from },
    srcPort: 50000,
    dstPort,
    seq: 1000,
    window: 100,
    payload: encodeSynOptions({ maxSeg: 1152 }),
  });
}

Deno.test("PacketIn delivers a trusted peer's datagram", () => {
  const r = rig();
  r.packetIn.handle(PEER, encodePacket(pkt()));
  assert.equal(r.datagrams.length, 1);
  assert.deepEqual(r.drops, []);
});

Deno.test("PacketIn drops a corrupted packet with the decoder's reason (bad_crc)", () => {
  const r = rig();
  const bytes = encodePacket(pkt());
  bytes[bytes.length - 1] ^= 0xff;
  r.packetIn.handle(PEER, bytes);
  assert.deepEqual(r.drops, ["bad_crc"]);
  assert.equal(r.datagrams.length, 0);
});

Deno.test("PacketIn drops a packet whose Src node is not the tunnel's peer (src_spoof)", () => {
  const r = rig({ trusted: [PEER, STRANGER] });
  r.packetIn.handle(PEER, encodePacket(pkt({ src: { network: 0, node: STRANGER } })));
  assert.deepEqual(r.drops, ["src_spoof"]);
});

Deno.test("PacketIn drops reserved Src or Dst node ids (reserved_addr)", () => {
  const r = rig();
  r.packetIn.handle(PEER, encodePacket(pkt({ dst: { network: 0, node: 1 } })));
  r.packetIn.handle(2, encodePacket(pkt({ src: { network: 0, node: 2 } })));
  assert.deepEqual(r.drops, ["reserved_addr", "reserved_addr"]);
});

Deno.test("PacketIn drops wrong destinations (bad_dst): another node, mixed networks, a network we are not in", () => {
  const r = rig();
  r.packetIn.handle(PEER, encodePacket(pkt({ dst: { network: 0, node: STRANGER } })));
  r.packetIn.handle(PEER, encodePacket(pkt({ dst: { network: NET, node: SELF } })));
  r.packetIn.handle(PEER, encodePacket(pkt({ src: { network: 9, node: PEER }, dst: { network: 9, node: SELF } })));
  assert.deepEqual(r.drops, ["bad_dst", "bad_dst", "bad_dst"]);
  assert.equal(r.datagrams.length, 0);
});

Deno.test("PacketIn accepts a broadcast datagram on a member network but not on the backbone or as a stream", () => {
  const r = rig();
  const bcast = (network: number, proto = PROTO_DATAGRAM) =>
    encodePacket(pkt({ proto, src: { network, node: PEER }, dst: { network, node: 0xffffffff } }));
  r.packetIn.handle(PEER, bcast(NET));
  assert.equal(r.datagrams.length, 1);
  r.packetIn.handle(PEER, bcast(0));
  r.packetIn.handle(PEER, bcast(NET, PROTO_CONTROL));
  assert.deepEqual(r.drops, ["bad_dst", "bad_dst"]);
});

Deno.test("PacketIn answers an untrusted SYN to a service port with RST reason 2 and counts it", () => {
  const r = rig({ trusted: [] });
  r.packetIn.handle(STRANGER, encodePacket(syn(STRANGER, 7)));
  assert.deepEqual(r.drops, ["untrusted"]);
  assert.equal(r.sent.length, 1);
  const rst = decodePacket(encodePacket(r.sent[0]));
  assert.equal(rst.flags, FLAG_RST | FLAG_ACK);
  assert.deepEqual([...rst.payload], [2]);
  assert.equal(rst.ack, 1001);
  assert.equal(r.stack.connectionCount, 0);
});

Deno.test("PacketIn lets an untrusted peer reach port 444 only", () => {
  const r = rig({ trusted: [] });
  r.stack.listen(444);
  r.packetIn.handle(STRANGER, encodePacket(syn(STRANGER, 444)));
  assert.deepEqual(r.drops, []);
  assert.equal(r.stack.connectionCount, 1, "SYN_RCVD on 444");
  assert.equal(r.sent[0].flags, FLAG_SYN | FLAG_ACK);
});

Deno.test("PacketIn drops an untrusted peer's datagram, ping and stray stream segment as untrusted", () => {
  const r = rig({ trusted: [] });
  r.packetIn.handle(STRANGER, encodePacket(pkt({ src: { network: 0, node: STRANGER } })));
  r.packetIn.handle(
    STRANGER,
    encodePacket(pkt({ proto: PROTO_CONTROL, src: { network: 0, node: STRANGER }, srcPort: 9, dstPort: 0 })),
  );
  r.packetIn.handle(
    STRANGER,
    encodePacket(pkt({ proto: PROTO_STREAM, flags: FLAG_ACK, src: { network: 0, node: STRANGER }, dstPort: 7 })),
  );
  assert.deepEqual(r.drops, ["untrusted", "untrusted", "untrusted"]);
  assert.equal(r.datagrams.length + r.controls.length + r.streams.length, 0);
  assert.equal(r.sent.length, 0, "no RST for datagrams, pings or stray segments from strangers");
});

Deno.test("PacketIn accepts packets from ourselves (loopback) without any trust entry", () => {
  const r = rig({ trusted: [] });
  r.packetIn.handle(SELF, encodePacket(pkt({ src: { network: 0, node: SELF } })));
  assert.equal(r.datagrams.length, 1);
});

Deno.test("a packet the trust filter drops is reported with its peer (security.untrusted_dropped)", () => {
  const r = rig({ trusted: [] });
  r.packetIn.handle(PEER, encodePacket(pkt()));
  r.packetIn.handle(PEER, encodePacket(pkt({ proto: PROTO_CONTROL })));
  assert.deepEqual(r.drops, ["untrusted", "untrusted"]);
  assert.deepEqual(r.untrusted, [PEER, PEER]);
  const t = rig();
  t.packetIn.handle(PEER, encodePacket(pkt()));
  assert.deepEqual(t.untrusted, [], "a trusted peer's packet is not a security event");
});
