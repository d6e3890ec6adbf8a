// Handshake payloads P1 / P2 (PROTOCOL-BRIEF §3.3) and the PILS plaintexts (§3.5).
import assert from "node:assert/strict";
import {
  decodeP1,
  decodeP2,
  decodeTunnelPlaintext,
  encodeBye,
  encodeKeepalive,
  encodeMtuAck,
  encodeMtuProbe,
  encodeP1,
  encodeP2,
  encodePathChallenge,
  encodePathResponse,
  MAX_PLAINTEXT_BYTES,
  type P1,
} from "../../src/wire/tunnel_payloads.ts";
import { encodePacket, FLAG_ACK, PROTO_DATAGRAM } from "../../src/wire/header.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { toHex } from "../../src/util/bytes.ts";

const p1: P1 = {
  initiatorNode: 0x101,
  timestampMs: 1767225600000,
  noiseIssuedAt: 1767225000000,
  noiseSig: new Uint8Array(64).fill(0xab),
};

Deno.test("encodeP1() writes the 88-byte §3.3 layout", () => {
  const b = encodeP1(p1);
  assert.equal(b.length, 88);
  assert.equal(
    toHex(b.subarray(0, 24)),
    "01" + "00" + "0000" + "00000101" + (1767225600000).toString(16).padStart(16, "0") +
      (1767225000000).toString(16).padStart(16, "0"),
  );
  assert.deepEqual(decodeP1(b), p1);
});

Deno.test("decodeP1() requires 88 bytes and version 1", () => {
  const b = encodeP1(p1);
  assert.throws(() => decodeP1(b.subarray(0, 87)), WireFormatError);
  const v2 = b.slice();
  v2[0] = 2;
  assert.throws(() => decodeP1(v2), (e: unknown) => e instanceof WireFormatError && e.field === "version");
  const huge = b.slice();
  huge[8] = 0xff;
  assert.throws(() => decodeP1(huge), WireFormatError);
});

Deno.test("encodeP2() writes version, flags, reserved and the responder node", () => {
  assert.equal(toHex(encodeP2({ responderNode: 0x102 })), "0100000000000102");
  assert.deepEqual(decodeP2(encodeP2({ responderNode: 0xffffffff })), { responderNode: 0xffffffff });
  assert.throws(() => decodeP2(new Uint8Array(8)), WireFormatError);
  assert.throws(() => decodeP2(new Uint8Array(9).fill(1)), WireFormatError);
});

Deno.test("decodeTunnelPlaintext() recognises every §3.5 form", () => {
  const token = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  assert.deepEqual(decodeTunnelPlaintext(encodeKeepalive()), { kind: "keepalive" });
  const packet = encodePacket({
    version: 1,
    flags: 0,
    proto: PROTO_DATAGRAM,
    src: { network: 0, node: 0x101 },
    dst: { network: 0, node: 0x102 },
    srcPort: 1,
    dstPort: 2,
    seq: 0,
    ack: 0,
    window: 0,
    payload: new Uint8Array(3),
  });
  assert.deepEqual(decodeTunnelPlaintext(packet), { kind: "packet" });
  assert.deepEqual(decodeTunnelPlaintext(Uint8Array.of(0x1f | FLAG_ACK)), { kind: "packet" });
  assert.deepEqual(decodeTunnelPlaintext(encodePathChallenge(token)), { kind: "path_challenge", token });
  assert.deepEqual(decodeTunnelPlaintext(encodePathResponse(token)), { kind: "path_response", token });
  assert.deepEqual(decodeTunnelPlaintext(encodeMtuProbe(0xabcdef01, 1400)), {
    kind: "mtu_probe",
    probeId: 0xabcdef01,
    size: 1400,
  });
  assert.equal(toHex(encodeMtuAck(7, 1400)), "0400000007" + "0578");
  assert.deepEqual(decodeTunnelPlaintext(encodeMtuAck(7, 1400)), { kind: "mtu_ack", probeId: 7, size: 1400 });
  assert.equal(toHex(encodeBye()), "0501");
  assert.deepEqual(decodeTunnelPlaintext(encodeBye()), { kind: "bye", reason: 1 });
});

Deno.test("decodeTunnelPlaintext() drops wrong sizes and unknown types as bad_plaintext", () => {
  const bad = [
    Uint8Array.of(0x00),
    Uint8Array.of(0x06, 0),
    Uint8Array.of(0x0f),
    Uint8Array.of(0x20),
    Uint8Array.of(0xff, 1, 2),
    new Uint8Array(8).fill(1, 0, 1), // path challenge, 7-byte token
    new Uint8Array(10).fill(2, 0, 1), // path response, 9-byte token
    Uint8Array.of(3, 0, 0, 0), // mtu probe, 4 bytes
    Uint8Array.of(4, 0, 0, 0, 0, 0), // mtu ack, 6 bytes
    Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0), // mtu ack, 8 bytes
    Uint8Array.of(5), // bye without reason
    Uint8Array.of(5, 1, 0),
  ];
  for (const b of bad) {
    assert.throws(
      () => decodeTunnelPlaintext(b),
      (e: unknown) => e instanceof WireFormatError && e.field === "bad_plaintext",
      toHex(b),
    );
  }
});

Deno.test("control encoders refuse bad sizes", () => {
  assert.throws(() => encodePathChallenge(new Uint8Array(7)), WireFormatError);
  assert.throws(() => encodeMtuProbe(1, 4), WireFormatError);
  assert.throws(() => encodeMtuProbe(1, MAX_PLAINTEXT_BYTES + 1), WireFormatError);
  assert.equal(encodeMtuProbe(1, MAX_PLAINTEXT_BYTES).length, 65_475);
  assert.throws(() => encodeMtuAck(1, 65536), WireFormatError);
  assert.throws(() => encodeBye(256), WireFormatError);
  assert.throws(() => encodeP1({ ...p1, noiseSig: new Uint8Array(63) }), WireFormatError);
  assert.throws(() => encodeP1({ ...p1, timestampMs: 2 ** 53 }), WireFormatError);
});
