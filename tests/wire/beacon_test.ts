// Beacon messages (PROTOCOL-BRIEF §5.1) and the REGISTER signed bytes (§5.2).
import assert from "node:assert/strict";
import {
  beaconChallengeInput,
  type BeaconMessage,
  beaconRegisterSignedBytes,
  decodeBeaconMessage,
  encodeBeaconMessage,
} from "../../src/wire/beacon.ts";
import { type Ip, ipFromText } from "../../src/wire/ip.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { toHex, utf8 } from "../../src/util/bytes.ts";
import { type Prng, withSeed } from "../_support/prng.ts";

const V4 = ipFromText("203.0.113.7")!;
const V6 = ipFromText("2001:db8::7")!;
const txid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const challenge = new Uint8Array(16).fill(0xcc);

function assertBadLen(bytes: Uint8Array): void {
  assert.throws(
    () => decodeBeaconMessage(bytes),
    (e: unknown) => e instanceof WireFormatError && e.field === "beacon_bad_len",
  );
}

Deno.test("each beacon message has its §5.1 size", () => {
  const sizes: [BeaconMessage, number][] = [
    [{ type: "discover", nodeId: 0, txid }, 13],
    [{ type: "discover_reply", txid, status: 0, ip: V4, port: 1, challenge }, 33],
    [{ type: "discover_reply", txid, status: 2, ip: V6, port: 1, challenge }, 45],
    [{ type: "punch_command", peerNode: 9, punchId: txid, delayMs: 250, ip: V4, port: 2 }, 22],
    [{ type: "punch_command", peerNode: 9, punchId: txid, delayMs: 250, ip: V6, port: 2 }, 34],
    [{ type: "relay", srcNode: 1, dstNode: 2, inner: new Uint8Array(50) }, 59],
    [{ type: "relay_deliver", srcNode: 1, dstNode: 2, inner: new Uint8Array(0) }, 9],
    [{ type: "register", nodeId: 257, txid, tsMs: 1767225600000, challenge, sig: new Uint8Array(64) }, 101],
    [{ type: "register_ack", txid, status: 0, ttlS: 60 }, 12],
  ];
  for (const [m, size] of sizes) {
    const bytes = encodeBeaconMessage(m);
    assert.equal(bytes.length, size, m.type);
    assert.deepEqual(decodeBeaconMessage(bytes), m);
  }
});

Deno.test("encodeBeaconMessage() lays out DISCOVER_REPLY field by field", () => {
  const bytes = encodeBeaconMessage({ type: "discover_reply", txid, status: 1, ip: V4, port: 0x2329, challenge });
  assert.equal(toHex(bytes), "02" + "0102030405060708" + "01" + "04" + "cb007107" + "2329" + "cc".repeat(16));
});

Deno.test("encodeBeaconMessage() lays out REGISTER with a u64 timestamp", () => {
  const sig = new Uint8Array(64).fill(0x55);
  const bytes = encodeBeaconMessage({ type: "register", nodeId: 0x101, txid, tsMs: 0x0102030405, challenge, sig });
  assert.equal(
    toHex(bytes),
    "08" + "00000101" + "0102030405060708" + "0000000102030405" + "cc".repeat(16) + "55".repeat(64),
  );
});

Deno.test("decodeBeaconMessage() rejects every wrong size with beacon_bad_len", () => {
  const valid: BeaconMessage[] = [
    { type: "discover", nodeId: 5, txid },
    { type: "discover_reply", txid, status: 0, ip: V4, port: 1, challenge },
    { type: "discover_reply", txid, status: 0, ip: V6, port: 1, challenge },
    { type: "punch_command", peerNode: 9, punchId: txid, delayMs: 250, ip: V6, port: 2 },
    { type: "register", nodeId: 257, txid, tsMs: 1, challenge, sig: new Uint8Array(64) },
    { type: "register_ack", txid, status: 0, ttlS: 60 },
  ];
  for (const m of valid) {
    const bytes = encodeBeaconMessage(m);
    for (let n = 1; n < bytes.length + 20; n++) {
      if (n === bytes.length) continue;
      const other = new Uint8Array(n);
      other.set(bytes.subarray(0, n));
      if (
        (m.type === "discover_reply" || m.type === "punch_command") && (n === 33 || n === 45 || n === 22 || n === 34)
      ) {
        continue; // the other ip form: checked below
      }
      assertBadLen(other);
    }
  }
  assertBadLen(new Uint8Array(0));
  assertBadLen(Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0));
});

Deno.test("decodeBeaconMessage() rejects an ip_len that does not match the size", () => {
  const v4 = encodeBeaconMessage({ type: "discover_reply", txid, status: 0, ip: V4, port: 1, challenge });
  for (const ipLen of [0, 6, 16, 255]) {
    const b = v4.slice();
    b[10] = ipLen;
    assertBadLen(b);
  }
  const v6 = encodeBeaconMessage({ type: "punch_command", peerNode: 1, punchId: txid, delayMs: 0, ip: V6, port: 1 });
  const b = v6.slice();
  b[15] = 4;
  assertBadLen(b);
});

Deno.test("decodeBeaconMessage() rejects reserved types", () => {
  for (const type of [0x00, 0x03, 0x07, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x50]) {
    assert.throws(
      () => decodeBeaconMessage(new Uint8Array(13).fill(type, 0, 1)),
      (e: unknown) => e instanceof WireFormatError && e.field === "beacon_bad_type",
    );
  }
});

Deno.test("decodeBeaconMessage() rejects a REGISTER timestamp beyond 2^53", () => {
  const b = encodeBeaconMessage({ type: "register", nodeId: 1, txid, tsMs: 0, challenge, sig: new Uint8Array(64) });
  b[13] = 0xff;
  assert.throws(() => decodeBeaconMessage(b), WireFormatError);
});

Deno.test("encodeBeaconMessage() refuses wrong field sizes and ranges", () => {
  const bad: BeaconMessage[] = [
    { type: "discover", nodeId: 2 ** 32, txid },
    { type: "discover", nodeId: 0, txid: new Uint8Array(7) },
    { type: "discover_reply", txid, status: 256, ip: V4, port: 1, challenge },
    { type: "discover_reply", txid, status: 0, ip: { family: 4, bytes: new Uint8Array(16) }, port: 1, challenge },
    { type: "punch_command", peerNode: 1, punchId: txid, delayMs: 70000, ip: V4, port: 1 },
    { type: "register", nodeId: 1, txid, tsMs: -1, challenge, sig: new Uint8Array(64) },
    { type: "register", nodeId: 1, txid, tsMs: 1, challenge, sig: new Uint8Array(63) },
    { type: "register_ack", txid, status: 0, ttlS: 65536 },
  ];
  for (const m of bad) assert.throws(() => encodeBeaconMessage(m), WireFormatError, JSON.stringify(m));
});

Deno.test("decoded byte fields are views of the input", () => {
  const bytes = encodeBeaconMessage({ type: "relay", srcNode: 1, dstNode: 2, inner: utf8("PILS....") });
  const m = decodeBeaconMessage(bytes);
  assert.ok(m.type === "relay" && m.inner.buffer === bytes.buffer && m.inner.byteOffset === 9);
});

Deno.test("beaconRegisterSignedBytes() follows §5.2 step 3", () => {
  const got = beaconRegisterSignedBytes(0x101, 0x0102030405, challenge, V4, 0x2329);
  const want = toHex(utf8("pilot-beacon-register-v1")) + "00" + "00000101" + "0000000102030405" + "cc".repeat(16) +
    "04" + "cb007107" + "2329";
  assert.equal(toHex(got), want);
  const v6 = beaconRegisterSignedBytes(1, 0, challenge, V6, 1);
  assert.equal(v6.length, 24 + 1 + 4 + 8 + 16 + 1 + 16 + 2);
});

Deno.test("beaconChallengeInput() follows §5.2 step 2", () => {
  assert.equal(
    toHex(beaconChallengeInput(0x101, V4, 0x2329, 29_000_000)),
    "00000101" + "04cb007107" + "2329" + "01ba8140",
  );
});

function randomIp(rng: Prng): Ip {
  return rng.bool() ? { family: 4, bytes: rng.bytes(4) } : { family: 6, bytes: rng.bytes(16) };
}

Deno.test("decodeBeaconMessage(encodeBeaconMessage(m)) round-trips random messages", () =>
  withSeed((rng) => {
    const make: (() => BeaconMessage)[] = [
      () => ({ type: "discover", nodeId: rng.u32(), txid: rng.bytes(8) }),
      () => ({
        type: "discover_reply",
        txid: rng.bytes(8),
        status: rng.int(0, 255),
        ip: randomIp(rng),
        port: rng.int(0, 65535),
        challenge: rng.bytes(16),
      }),
      () => ({
        type: "punch_command",
        peerNode: rng.u32(),
        punchId: rng.bytes(8),
        delayMs: rng.int(0, 65535),
        ip: randomIp(rng),
        port: rng.int(0, 65535),
      }),
      () => ({
        type: rng.bool() ? "relay" : "relay_deliver",
        srcNode: rng.u32(),
        dstNode: rng.u32(),
        inner: rng.bytes(rng.int(0, 1463)),
      }),
      () => ({
        type: "register",
        nodeId: rng.u32(),
        txid: rng.bytes(8),
        tsMs: rng.int(0, 2 ** 31) * 1000 + rng.int(0, 999),
        challenge: rng.bytes(16),
        sig: rng.bytes(64),
      }),
      () => ({ type: "register_ack", txid: rng.bytes(8), status: rng.int(0, 255), ttlS: rng.int(0, 65535) }),
    ];
    for (let i = 0; i < 3000; i++) {
      const m = rng.pick(make)();
      assert.deepEqual(decodeBeaconMessage(encodeBeaconMessage(m)), m);
    }
  }));
