// Socket demultiplexing (PROTOCOL-BRIEF §3.1) and the PILH / PILR / PILC / PILP / PILS layouts (§3.4, §3.5).
import assert from "node:assert/strict";
import {
  classifyDatagram,
  decodePilc,
  decodePilh,
  decodePilp,
  decodePilr,
  decodePils,
  encodePilc,
  encodePilh,
  encodePilp,
  encodePilr,
  encodePilsHeader,
  type Pilh,
  PILH_MAC1_OFFSET,
  PILH_MAC2_OFFSET,
  type Pilr,
  PILR_MAC1_OFFSET,
  PILR_MAC2_OFFSET,
  writePilsHeader,
} from "../../src/wire/tunnel_frames.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { concatBytes, toHex, utf8 } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

function withMagic(magic: string, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set(utf8(magic).subarray(0, Math.min(4, size)));
  return b;
}

Deno.test("classifyDatagram() follows the §3.1 table", () => {
  const cases: [Uint8Array, unknown][] = [
    [new Uint8Array(0), { kind: "drop", reason: "runt" }],
    [Uint8Array.of(0x01), { kind: "beacon" }],
    [Uint8Array.of(0x0f, 1, 2, 3, 4, 5), { kind: "beacon" }],
    [Uint8Array.of(0x50), { kind: "drop", reason: "runt" }],
    [utf8("PIL"), { kind: "drop", reason: "runt" }],
    [withMagic("PILH", 224), { kind: "handshake_init" }],
    [withMagic("PILR", 100), { kind: "handshake_response" }],
    [withMagic("PILC", 52), { kind: "cookie_reply" }],
    [withMagic("PILS", 32), { kind: "transport" }],
    [withMagic("PILS", 1500), { kind: "transport" }],
    [withMagic("PILP", 16), { kind: "punch_probe" }],
    [withMagic("PILH", 223), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILH", 225), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILR", 99), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILC", 53), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILS", 31), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILP", 17), { kind: "drop", reason: "bad_len" }],
    [withMagic("PILT", 100), { kind: "drop", reason: "bad_magic" }],
    [withMagic("PILK", 100), { kind: "drop", reason: "bad_magic" }],
    [withMagic("PILA", 100), { kind: "drop", reason: "bad_magic" }],
    [withMagic("pils", 100), { kind: "drop", reason: "bad_magic" }],
    [Uint8Array.of(0x10, 0, 0, 0), { kind: "drop", reason: "bad_magic" }],
  ];
  for (const [bytes, want] of cases) assert.deepEqual(classifyDatagram(bytes), want, toHex(bytes.subarray(0, 8)));
});

Deno.test("encodePilh() places every field at its §3.4 offset", () =>
  withSeed((rng) => {
    const f: Pilh = {
      senderIndex: rng.u32(),
      ephemeral: rng.bytes(32),
      staticEnc: rng.bytes(48),
      p1Enc: rng.bytes(104),
      mac1: rng.bytes(16),
      mac2: rng.bytes(16),
    };
    const b = encodePilh(f);
    assert.equal(b.length, 224);
    assert.equal(toHex(b.subarray(0, 4)), toHex(utf8("PILH")));
    assert.equal(new DataView(b.buffer).getUint32(4), f.senderIndex);
    assert.deepEqual(b.subarray(8, 40), f.ephemeral);
    assert.deepEqual(b.subarray(40, 88), f.staticEnc);
    assert.deepEqual(b.subarray(88, 192), f.p1Enc);
    assert.deepEqual(b.subarray(PILH_MAC1_OFFSET, 208), f.mac1);
    assert.deepEqual(b.subarray(PILH_MAC2_OFFSET, 224), f.mac2);
    assert.deepEqual(decodePilh(b), f);
  }));

Deno.test("encodePilr() places every field at its §3.4 offset", () =>
  withSeed((rng) => {
    const f: Pilr = {
      senderIndex: rng.u32(),
      receiverIndex: rng.u32(),
      ephemeral: rng.bytes(32),
      p2Enc: rng.bytes(24),
      mac1: rng.bytes(16),
      mac2: new Uint8Array(16),
    };
    const b = encodePilr(f);
    assert.equal(b.length, 100);
    assert.equal(new DataView(b.buffer).getUint32(8), f.receiverIndex);
    assert.deepEqual(b.subarray(12, 44), f.ephemeral);
    assert.deepEqual(b.subarray(44, 68), f.p2Enc);
    assert.deepEqual(b.subarray(PILR_MAC1_OFFSET, PILR_MAC2_OFFSET), f.mac1);
    assert.deepEqual(decodePilr(b), f);
  }));

Deno.test("PILC and PILP round-trip with their fixed layouts", () => {
  const pilc = { receiverIndex: 0xdeadbeef, nonce: new Uint8Array(12).fill(1), cookieEnc: new Uint8Array(32).fill(2) };
  const c = encodePilc(pilc);
  assert.equal(toHex(c.subarray(0, 8)), toHex(utf8("PILC")) + "deadbeef");
  assert.deepEqual(decodePilc(c), pilc);
  const pilp = { senderNode: 0x101, punchId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
  assert.equal(toHex(encodePilp(pilp)), toHex(utf8("PILP")) + "00000101" + "0102030405060708");
  assert.deepEqual(decodePilp(encodePilp(pilp)), pilp);
});

Deno.test("frame decoders reject the wrong size and the wrong magic", () => {
  const decoders: [(b: Uint8Array) => unknown, string, number][] = [
    [decodePilh, "PILH", 224],
    [decodePilr, "PILR", 100],
    [decodePilc, "PILC", 52],
    [decodePilp, "PILP", 16],
  ];
  for (const [decode, magic, size] of decoders) {
    const field = (e: unknown) => e instanceof WireFormatError ? e.field : "";
    assert.throws(() => decode(withMagic(magic, size - 1)), (e: unknown) => field(e) === "bad_len");
    assert.throws(() => decode(withMagic(magic, size + 1)), (e: unknown) => field(e) === "bad_len");
    assert.throws(() => decode(withMagic("PILX", size)), (e: unknown) => field(e) === "bad_magic");
  }
});

Deno.test("frame encoders refuse fields of the wrong length", () => {
  const f: Pilh = {
    senderIndex: 1,
    ephemeral: new Uint8Array(31),
    staticEnc: new Uint8Array(48),
    p1Enc: new Uint8Array(104),
    mac1: new Uint8Array(16),
    mac2: new Uint8Array(16),
  };
  assert.throws(() => encodePilh(f), WireFormatError);
  assert.throws(() => encodePilh({ ...f, ephemeral: new Uint8Array(32), senderIndex: -1 }), WireFormatError);
  assert.throws(() => encodePilp({ senderNode: 1, punchId: new Uint8Array(9) }), WireFormatError);
});

Deno.test("the PILS header carries receiver index and a u64 counter", () => {
  const h = encodePilsHeader({ receiverIndex: 0x01020304, counter: 0x0fff_ffff_ffff_fffen });
  assert.equal(toHex(h), toHex(utf8("PILS")) + "01020304" + "0ffffffffffffffe");
  const frame = concatBytes(h, new Uint8Array(20).fill(7));
  const d = decodePils(frame);
  assert.equal(d.receiverIndex, 0x01020304);
  assert.equal(d.counter, 0x0fff_ffff_ffff_fffen);
  assert.equal(toHex(d.header), toHex(h));
  assert.equal(d.sealed.length, 20);
  assert.equal(d.sealed.byteOffset, 16);
  assert.equal(
    decodePils(concatBytes(encodePilsHeader({ receiverIndex: 0, counter: 2n ** 64n - 1n }), new Uint8Array(16)))
      .counter,
    2n ** 64n - 1n,
  );
});

Deno.test("PILS header encoding refuses counters outside u64 and decoding refuses runts", () => {
  assert.throws(() => encodePilsHeader({ receiverIndex: 0, counter: -1n }), WireFormatError);
  assert.throws(() => encodePilsHeader({ receiverIndex: 0, counter: 2n ** 64n }), WireFormatError);
  assert.throws(() => decodePils(withMagic("PILS", 31)), WireFormatError);
  assert.throws(() => decodePils(withMagic("PILH", 32)), WireFormatError);
  const out = new Uint8Array(40);
  writePilsHeader(out, 8, { receiverIndex: 5, counter: 6n });
  assert.equal(decodePils(out.subarray(8)).counter, 6n);
});
