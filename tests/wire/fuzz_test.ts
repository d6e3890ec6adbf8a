// Fuzzes every decoder of src/wire with 100,000 random and mutated inputs (bit flips, truncations, extensions of
// valid encodings). The only exception allowed out of a decoder is WireFormatError; out of the address text parsers
// a PilotError with code invalid_argument; FrameReader, parseJsonBody, classifyDatagram and the ip text parsers
// never throw. Successful decodes of canonical layouts must re-encode to the same bytes.
import assert from "node:assert/strict";
import * as wire from "../../src/wire/mod.ts";
import { PilotError } from "../../src/util/errors.ts";
import { bytesEqual, toHex, utf8 } from "../../src/util/bytes.ts";
import { type Prng, withSeed } from "../_support/prng.ts";

const TOTAL_INPUTS = 100_000;
const TIME_BUDGET_MS = 20_000;
const NEVER_REJECTS = new Set(["classifyDatagram", "parseJsonBody"]);

type ByteTarget = {
  readonly name: string;
  readonly samples: (rng: Prng) => Uint8Array;
  /** Decode; on success return the canonical re-encoding to compare, or null when the layout is not canonical. */
  readonly decode: (b: Uint8Array) => Uint8Array | null;
};

const addr = (rng: Prng) => ({ network: rng.int(0, 0xffff), node: rng.u32() });
const ip = (rng: Prng): wire.Ip =>
  rng.bool() ? { family: 4, bytes: rng.bytes(4) } : { family: 6, bytes: rng.bytes(16) };

function samplePacket(rng: Prng): Uint8Array {
  const proto = rng.int(1, 4);
  let flags = rng.int(0, 15);
  while (!wire.isAllowedFlags(proto, flags)) flags = rng.int(0, 15);
  return wire.encodePacket({
    version: 1,
    flags,
    proto,
    src: addr(rng),
    dst: addr(rng),
    srcPort: rng.int(0, 0xffff),
    dstPort: rng.int(0, 0xffff),
    seq: rng.u32(),
    ack: rng.u32(),
    window: rng.int(0, 0xffff),
    payload: rng.bytes(rng.int(0, 80)),
  });
}

function sampleBeacon(rng: Prng): Uint8Array {
  const messages: (() => wire.BeaconMessage)[] = [
    () => ({ type: "discover", nodeId: rng.u32(), txid: rng.bytes(8) }),
    () => ({ type: "discover_reply", txid: rng.bytes(8), status: 0, ip: ip(rng), port: 9, challenge: rng.bytes(16) }),
    () => ({ type: "punch_command", peerNode: 1, punchId: rng.bytes(8), delayMs: 250, ip: ip(rng), port: 9 }),
    () => ({ type: rng.bool() ? "relay" : "relay_deliver", srcNode: 1, dstNode: 2, inner: rng.bytes(rng.int(0, 60)) }),
    () => ({
      type: "register",
      nodeId: 1,
      txid: rng.bytes(8),
      tsMs: Date.now(),
      challenge: rng.bytes(16),
      sig: rng.bytes(64),
    }),
    () => ({ type: "register_ack", txid: rng.bytes(8), status: 0, ttlS: 60 }),
  ];
  return wire.encodeBeaconMessage(rng.pick(messages)());
}

function sampleIpc(rng: Prng): Uint8Array {
  const data = rng.bytes(rng.int(0, 40));
  const frames: (() => wire.IpcFrame)[] = [
    () => ({ kind: "json", body: utf8(`{"id":${rng.u32()},"cmd":"info"}`) }),
    () => ({ kind: "stream_data", id: rng.u32(), conn: rng.u32(), data }),
    () => ({ kind: "datagram", id: 1, localPort: 2, remote: addr(rng), remotePort: 3, data }),
  ];
  return wire.encodeIpcFrame(rng.pick(frames)()).subarray(4);
}

const BYTE_TARGETS: readonly ByteTarget[] = [
  { name: "decodePacket", samples: samplePacket, decode: (b) => wire.encodePacket(wire.decodePacket(b)) },
  {
    name: "decodeAddr",
    samples: (rng) => wire.encodeAddr(addr(rng)),
    decode: (b) => {
      // Reads 6 bytes at an offset of a longer buffer, so compare only those.
      const offset = b.length % 3;
      const a = wire.decodeAddr(b, offset);
      assert.ok(bytesEqual(wire.encodeAddr(a), b.subarray(offset, offset + 6)));
      return null;
    },
  },
  {
    name: "decodeBeaconMessage",
    samples: sampleBeacon,
    decode: (b) => wire.encodeBeaconMessage(wire.decodeBeaconMessage(b)),
  },
  {
    name: "decodePilh",
    samples: (rng) =>
      wire.encodePilh({
        senderIndex: rng.u32(),
        ephemeral: rng.bytes(32),
        staticEnc: rng.bytes(48),
        p1Enc: rng.bytes(104),
        mac1: rng.bytes(16),
        mac2: rng.bytes(16),
      }),
    decode: (b) => wire.encodePilh(wire.decodePilh(b)),
  },
  {
    name: "decodePilr",
    samples: (rng) =>
      wire.encodePilr({
        senderIndex: rng.u32(),
        receiverIndex: rng.u32(),
        ephemeral: rng.bytes(32),
        p2Enc: rng.bytes(24),
        mac1: rng.bytes(16),
        mac2: rng.bytes(16),
      }),
    decode: (b) => wire.encodePilr(wire.decodePilr(b)),
  },
  {
    name: "decodePilc",
    samples: (rng) => wire.encodePilc({ receiverIndex: rng.u32(), nonce: rng.bytes(12), cookieEnc: rng.bytes(32) }),
    decode: (b) => wire.encodePilc(wire.decodePilc(b)),
  },
  {
    name: "decodePilp",
    samples: (rng) => wire.encodePilp({ senderNode: rng.u32(), punchId: rng.bytes(8) }),
    decode: (b) => wire.encodePilp(wire.decodePilp(b)),
  },
  {
    name: "decodePils",
    samples: (rng) => {
      const h = wire.encodePilsHeader({ receiverIndex: rng.u32(), counter: BigInt(rng.u32()) << 20n });
      const out = new Uint8Array(16 + rng.int(16, 80));
      out.set(h);
      return out;
    },
    decode: (b) => {
      const f = wire.decodePils(b);
      const out = new Uint8Array(b.length);
      wire.writePilsHeader(out, 0, f);
      out.set(f.sealed, 16);
      return out;
    },
  },
  {
    name: "classifyDatagram",
    samples: (rng) =>
      rng.pick([samplePacket, sampleBeacon, (r: Prng) => wire.encodePilp({ senderNode: 1, punchId: r.bytes(8) })])(rng),
    decode: (b) => {
      wire.classifyDatagram(b);
      return null;
    },
  },
  {
    name: "decodeP1",
    samples: (rng) =>
      wire.encodeP1({ initiatorNode: rng.u32(), timestampMs: Date.now(), noiseIssuedAt: 1, noiseSig: rng.bytes(64) }),
    decode: (b) => (wire.decodeP1(b), null),
  },
  {
    name: "decodeP2",
    samples: (rng) => wire.encodeP2({ responderNode: rng.u32() }),
    decode: (b) => (wire.decodeP2(b), null),
  },
  {
    name: "decodeTunnelPlaintext",
    samples: (rng) =>
      rng.pick([
        () => wire.encodePathChallenge(rng.bytes(8)),
        () => wire.encodeMtuProbe(rng.u32(), rng.int(5, 40)),
        () => wire.encodeMtuAck(rng.u32(), rng.int(0, 65535)),
        () => wire.encodeBye(1),
        () => samplePacket(rng),
      ])(),
    decode: (b) => (wire.decodeTunnelPlaintext(b), null),
  },
  {
    name: "decodeSynOptions",
    samples: (rng) =>
      rng.bool() ? wire.encodeSynOptions({ maxSeg: rng.int(1152, 65535) }) : Uint8Array.of(7, 2, 0, 0, 1, 2, 5, 0),
    decode: (b) => (wire.decodeSynOptions(b), null),
  },
  {
    name: "decodeSack",
    samples: (rng) =>
      wire.encodeSack({
        dsack: rng.bool(),
        blocks: Array.from({ length: rng.int(1, 8) }, () => ({ left: rng.u32(), right: rng.u32() })),
      }),
    decode: (b) => (wire.decodeSack(b), null),
  },
  {
    name: "decodeIpcFrame",
    samples: sampleIpc,
    decode: (b) => wire.encodeIpcFrame(wire.decodeIpcFrame(b)).subarray(4),
  },
  {
    name: "parseJsonBody",
    samples: (rng) => utf8(JSON.stringify({ type: "lookup", target: rng.u32(), list: [1, [2, { a: "x" }]] })),
    decode: (b) => (wire.parseJsonBody(b, 4), null),
  },
];

function mutate(rng: Prng, sample: Uint8Array): Uint8Array {
  let b = sample.slice();
  const edits = rng.int(1, 3);
  for (let e = 0; e < edits; e++) {
    switch (rng.int(0, 5)) {
      case 0: // bit flips
        for (let k = rng.int(1, 8); k > 0 && b.length > 0; k--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
        break;
      case 1: // truncation
        b = b.slice(0, rng.int(0, b.length));
        break;
      case 2: { // extension
        const longer = new Uint8Array(b.length + rng.int(1, rng.bool() ? 8 : 300));
        longer.set(b);
        longer.set(rng.bytes(longer.length - b.length), b.length);
        b = longer;
        break;
      }
      case 3: // interesting byte values
        if (b.length > 0) b[rng.int(0, b.length - 1)] = rng.pick([0, 1, 4, 16, 0x0f, 0x10, 0x7f, 0x80, 0xff]);
        break;
      case 4: // length fields lie: rewrite a 16-bit slot
        if (b.length > 4) b[rng.int(0, 3)] = rng.int(0, 255);
        break;
      default: // reseal a packet CRC so the checks behind it are reached
        if (b.length >= 34) {
          b.fill(0, 30, 34);
          new DataView(b.buffer).setUint32(30, wire.crc32(b));
        }
    }
  }
  return b;
}

function fuzzInput(rng: Prng, target: ByteTarget): Uint8Array {
  if (rng.int(0, 3) === 0) return rng.bytes(rng.bool() ? rng.int(0, 16) : rng.int(0, 400));
  return mutate(rng, target.samples(rng));
}

/** Returns whether the decoder accepted the input. */
function checkByteTarget(target: ByteTarget, input: Uint8Array): boolean {
  let canonical: Uint8Array | null;
  try {
    canonical = target.decode(input);
  } catch (err) {
    if (err instanceof wire.WireFormatError) return false;
    throw new Error(`${target.name} threw ${err} for ${toHex(input.subarray(0, 64))}`);
  }
  if (canonical !== null && !bytesEqual(canonical, input)) {
    throw new Error(`${target.name} accepted a non-canonical encoding ${toHex(input.subarray(0, 64))}`);
  }
  return true;
}

const VALID_ADDR_TEXT = ["0:0000.0000.0100", "1:0001.f291.0004", "007:0007.0000.0100", "65535:FFFF.FFFF.FFFF"];

function mutateText(rng: Prng, text: string): string {
  const chars = [...text];
  for (let e = rng.int(1, 3); e > 0; e--) {
    const at = rng.int(0, chars.length);
    const c = rng.pick(["0", "9", "a", "F", "g", ":", ".", " ", "\t", "-", "+", "é", "\u0000", "Z", "\uD800"]);
    switch (rng.int(0, 2)) {
      case 0:
        chars.splice(at, 1, c);
        break;
      case 1:
        chars.splice(at, 0, c);
        break;
      default:
        chars.splice(at, 1);
    }
  }
  return chars.join("");
}

function checkText(rng: Prng): void {
  const base = rng.pick(VALID_ADDR_TEXT);
  const text = rng.int(0, 4) === 0 ? new TextDecoder().decode(rng.bytes(rng.int(0, 24))) : mutateText(rng, base);
  const withPort = `${text}:${rng.pick(["1001", "0", "65535", "65536", "", "x", "123456"])}`;
  for (const [fn, input] of [[wire.parseAddr, text], [wire.parseSockAddr, withPort]] as const) {
    try {
      const got = fn(input);
      const a = "addr" in got ? got.addr : got;
      assert.ok(wire.isValidNetwork(a.network) && wire.isValidNode(a.node));
      assert.equal(wire.formatAddr(wire.parseAddr(wire.formatAddr(a))), wire.formatAddr(a));
    } catch (err) {
      if (err instanceof PilotError && err.code === "invalid_argument") continue;
      throw new Error(`${fn.name} threw ${err} for ${JSON.stringify(input)}`);
    }
  }
  wire.ipFromText(text);
  wire.parseEndpoint(withPort);
}

function checkFrameReader(rng: Prng, reader: wire.FrameReader, chunk: Uint8Array): void {
  reader.push(chunk);
  for (let i = 0; i < 10_000; i++) {
    const r = reader.next();
    if (r.kind === "need_more") break;
    if (r.kind === "too_large") break;
    wire.parseJsonBody(r.body, rng.int(1, 16));
  }
  assert.ok(reader.failed || reader.bufferedBytes < 4 + reader.maxFrameBytes + chunk.length);
}

function checkIpcReader(reader: wire.IpcFrameReader, chunk: Uint8Array): void {
  reader.push(chunk);
  for (let i = 0; i < 10_000; i++) {
    const r = reader.next();
    if (r.kind === "need_more" || r.kind === "too_large") break;
    if (r.kind === "malformed") assert.ok(r.error instanceof wire.WireFormatError);
  }
}

Deno.test("every wire decoder survives 100,000 random and mutated inputs with only its typed error", () =>
  withSeed((rng) => {
    const start = performance.now();
    let frameReader = new wire.FrameReader(rng.pick([64, 1024, wire.MAX_TRUST_FRAME_BYTES]));
    let ipcReader = new wire.IpcFrameReader();
    const slots = BYTE_TARGETS.length + 3;
    const accepted = BYTE_TARGETS.map(() => 0);
    for (let i = 0; i < TOTAL_INPUTS; i++) {
      const slot = i % slots;
      if (slot < BYTE_TARGETS.length) {
        const target = BYTE_TARGETS[slot];
        if (checkByteTarget(target, fuzzInput(rng, target))) accepted[slot]++;
      } else if (slot === BYTE_TARGETS.length) {
        checkText(rng);
      } else if (slot === BYTE_TARGETS.length + 1) {
        if (frameReader.failed) frameReader = new wire.FrameReader(rng.pick([64, 1024, wire.MAX_TRUST_FRAME_BYTES]));
        const valid = wire.encodeRegistryFrame({ type: "heartbeat", n: i }, frameReader.maxFrameBytes);
        checkFrameReader(rng, frameReader, rng.int(0, 2) === 0 ? rng.bytes(rng.int(0, 40)) : mutate(rng, valid));
      } else {
        if (ipcReader.failed) ipcReader = new wire.IpcFrameReader();
        const valid = wire.encodeIpcFrame({ kind: "stream_data", id: i, conn: 1, data: rng.bytes(rng.int(0, 20)) });
        checkIpcReader(ipcReader, rng.int(0, 2) === 0 ? rng.bytes(rng.int(0, 40)) : mutate(rng, valid));
      }
      if ((i & 1023) === 0) {
        assert.ok(performance.now() - start < TIME_BUDGET_MS, `fuzzing exceeded its time budget at ${i}`);
      }
    }
    // Guard against a vacuous run: mutation must reach both outcomes of every decoder that can reject.
    const perTarget = Math.floor(TOTAL_INPUTS / slots);
    BYTE_TARGETS.forEach((t, k) => {
      assert.ok(accepted[k] > 0, `${t.name} never accepted an input`);
      if (!NEVER_REJECTS.has(t.name)) assert.ok(accepted[k] < perTarget, `${t.name} never rejected an input`);
    });
  }));
