// The overlay packet header (PROTOCOL-BRIEF §2): the §2.4 golden SYN, every step-1 drop reason, round-trips.
import assert from "node:assert/strict";
import {
  decodePacket,
  DEFAULT_PAYLOAD_LIMIT_BYTES,
  encodePacket,
  encodePacketInto,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_RST,
  FLAG_SYN,
  HEADER_BYTES,
  isAllowedFlags,
  MAX_PAYLOAD_ABSOLUTE_BYTES,
  type Packet,
  PROTO_CONTROL,
  PROTO_DATAGRAM,
  PROTO_STREAM,
  PROTO_STREAM_ACK,
  SEGMENT_UNIT_BYTES,
} from "../../src/wire/header.ts";
import { crc32 } from "../../src/wire/crc32.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { parseAddr } from "../../src/wire/address.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

const GOLDEN_SYN_HEX = "11010004000000000101000000000102d43103e93a5f91c200000000071c6770099f01020480";

const goldenSyn: Packet = {
  version: 1,
  flags: FLAG_SYN,
  proto: PROTO_STREAM,
  src: parseAddr("0:0000.0000.0101"),
  dst: parseAddr("0:0000.0000.0102"),
  srcPort: 54321,
  dstPort: 1001,
  seq: 0x3a5f91c2,
  ack: 0,
  window: 1820,
  payload: Uint8Array.of(0x01, 0x02, 0x04, 0x80),
};

/** Recomputes the checksum after a test has edited header fields on purpose. */
function reseal(b: Uint8Array): Uint8Array {
  b.fill(0, 30, 34);
  new DataView(b.buffer, b.byteOffset).setUint32(30, crc32(b));
  return b;
}

function assertDrop(bytes: Uint8Array, reason: string): void {
  assert.throws(() => decodePacket(bytes), (err: unknown) => {
    assert.ok(err instanceof WireFormatError, `expected WireFormatError, got ${err}`);
    assert.equal(err.field, reason);
    return true;
  });
}

Deno.test("encodePacket() produces the §2.4 SYN byte for byte", () => {
  assert.equal(toHex(encodePacket(goldenSyn)), GOLDEN_SYN_HEX);
  assert.equal(encodePacket(goldenSyn).length, 38);
});

Deno.test("decodePacket() reads the §2.4 SYN back", () => {
  assert.deepEqual(decodePacket(fromHex(GOLDEN_SYN_HEX)), goldenSyn);
});

Deno.test("decodePacket() returns the payload as a view of the input", () => {
  const bytes = fromHex(GOLDEN_SYN_HEX);
  const p = decodePacket(bytes);
  assert.equal(p.payload.buffer, bytes.buffer);
  assert.equal(p.payload.byteOffset, HEADER_BYTES);
});

Deno.test("decodePacket() rejects a 33-byte buffer as runt", () => {
  assertDrop(fromHex(GOLDEN_SYN_HEX).subarray(0, 33), "runt");
  assertDrop(new Uint8Array(0), "runt");
});

Deno.test("decodePacket() rejects a payload length that differs from the bytes that follow", () => {
  const b = fromHex(GOLDEN_SYN_HEX);
  assertDrop(b.subarray(0, 37), "bad_length");
  const longer = new Uint8Array(39);
  longer.set(b);
  assertDrop(longer, "bad_length");
  b[3] = 5;
  assertDrop(b, "bad_length");
});

Deno.test("decodePacket() rejects versions other than 1", () => {
  for (const version of [0, 2, 15]) {
    const b = fromHex(GOLDEN_SYN_HEX);
    b[0] = (version << 4) | FLAG_SYN;
    assertDrop(reseal(b), "bad_version");
  }
});

Deno.test("decodePacket() rejects a single flipped bit anywhere in header or payload with bad_crc", () => {
  const good = fromHex(GOLDEN_SYN_HEX);
  for (let bit = 0; bit < good.length * 8; bit++) {
    const byte = bit >> 3;
    if (byte === 0 || byte === 2 || byte === 3) continue; // version and length are checked before the CRC
    const b = good.slice();
    b[byte] ^= 1 << (bit & 7);
    assertDrop(b, "bad_crc");
  }
});

Deno.test("decodePacket() rejects unknown protocols with bad_proto", () => {
  for (const proto of [0, 5, 0x10, 0xff]) {
    const b = fromHex(GOLDEN_SYN_HEX);
    b[1] = proto;
    assertDrop(reseal(b), "bad_proto");
  }
});

Deno.test("isAllowedFlags() allows exactly the §2.1 combinations", () => {
  const allowed: Record<number, number[]> = {
    [PROTO_STREAM]: [FLAG_SYN, FLAG_SYN | FLAG_ACK, FLAG_ACK, FLAG_FIN | FLAG_ACK, FLAG_RST, FLAG_RST | FLAG_ACK],
    [PROTO_DATAGRAM]: [0],
    [PROTO_CONTROL]: [0, FLAG_ACK],
    [PROTO_STREAM_ACK]: [FLAG_ACK],
  };
  for (let proto = 0; proto < 256; proto++) {
    for (let flags = 0; flags < 16; flags++) {
      assert.equal(
        isAllowedFlags(proto, flags),
        (allowed[proto] ?? []).includes(flags),
        `proto ${proto} flags ${flags}`,
      );
    }
  }
});

Deno.test("decodePacket() rejects a disallowed flag combination with bad_flags", () => {
  for (
    const [proto, flags] of [
      [PROTO_STREAM, 0],
      [PROTO_STREAM, FLAG_SYN | FLAG_FIN],
      [PROTO_DATAGRAM, FLAG_ACK],
      [
        PROTO_CONTROL,
        FLAG_SYN,
      ],
      [PROTO_STREAM_ACK, 0],
      [PROTO_STREAM, FLAG_RST | FLAG_SYN],
    ]
  ) {
    assertDrop(encodePacket({ ...goldenSyn, proto, flags }), "bad_flags");
  }
});

Deno.test("decodePacket(encodePacket(p)) round-trips random allowed packets", () =>
  withSeed((rng) => {
    const combos: [number, number][] = [];
    for (let proto = 1; proto <= 4; proto++) {
      for (let flags = 0; flags < 16; flags++) if (isAllowedFlags(proto, flags)) combos.push([proto, flags]);
    }
    for (let i = 0; i < 3000; i++) {
      const [proto, flags] = rng.pick(combos);
      const p: Packet = {
        version: 1,
        flags,
        proto,
        src: { network: rng.int(0, 0xffff), node: rng.u32() },
        dst: { network: rng.int(0, 0xffff), node: rng.u32() },
        srcPort: rng.int(0, 0xffff),
        dstPort: rng.int(0, 0xffff),
        seq: rng.u32(),
        ack: rng.u32(),
        window: rng.int(0, 0xffff),
        payload: rng.bytes(rng.bool() ? rng.int(0, 64) : rng.int(0, DEFAULT_PAYLOAD_LIMIT_BYTES)),
      };
      assert.deepEqual(decodePacket(encodePacket(p)), p);
    }
  }));

Deno.test("encodePacketInto() writes at an offset and returns the length", () => {
  const out = new Uint8Array(16 + 38 + 16);
  assert.equal(encodePacketInto(goldenSyn, out, 16), 38);
  assert.equal(toHex(out.subarray(16, 54)), GOLDEN_SYN_HEX);
  assert.throws(() => encodePacketInto(goldenSyn, out, 33), WireFormatError);
});

Deno.test("encodePacket() refuses out-of-range fields and oversize payloads", () => {
  const bad: Partial<Packet>[] = [
    { version: 16 },
    { flags: 16 },
    { proto: 256 },
    { srcPort: 65536 },
    { dstPort: -1 },
    { seq: 2 ** 32 },
    { ack: 1.5 },
    { window: 65536 },
    { src: { network: 0, node: 2 ** 32 } },
    { dst: { network: 70000, node: 1 } },
    { payload: new Uint8Array(MAX_PAYLOAD_ABSOLUTE_BYTES + 1) },
  ];
  for (const patch of bad) {
    assert.throws(() => encodePacket({ ...goldenSyn, ...patch }), WireFormatError, JSON.stringify(patch));
  }
  assert.equal(encodePacket({ ...goldenSyn, payload: new Uint8Array(MAX_PAYLOAD_ABSOLUTE_BYTES) }).length, 65_475);
});

Deno.test("size constants match §2.2", () => {
  assert.equal(HEADER_BYTES, 34);
  assert.equal(DEFAULT_PAYLOAD_LIMIT_BYTES, 1152);
  assert.equal(SEGMENT_UNIT_BYTES, 1152);
  assert.equal(MAX_PAYLOAD_ABSOLUTE_BYTES, 65_507 - 32 - 34);
});
