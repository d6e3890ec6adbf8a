// Address binary and text forms (PROTOCOL-BRIEF §1), including every example of §1.2 verbatim.
import assert from "node:assert/strict";
import {
  type Addr,
  addrEquals,
  addrKey,
  broadcastAddr,
  decodeAddr,
  encodeAddr,
  FIRST_ASSIGNED_NODE,
  formatAddr,
  formatSockAddr,
  isReservedNode,
  NODE_BEACON,
  NODE_BROADCAST,
  NODE_NAMESERVER,
  NODE_REGISTRY,
  NODE_UNSPECIFIED,
  parseAddr,
  parseSockAddr,
  RESERVED_MAX,
} from "../../src/wire/address.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { InvalidArgumentError, PilotError } from "../../src/util/errors.ts";
import { toHex } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

function assertBadAddress(input: string, reason: string, quoted: string = input): void {
  assert.throws(() => parseAddr(input), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError for ${JSON.stringify(input)}`);
    assert.equal(err.code, "invalid_argument");
    assert.equal(err.detail, "bad_address");
    assert.equal(err.message, `invalid address "${quoted}": ${reason}`);
    return true;
  });
}

Deno.test("formatAddr() writes the §1.2 examples with upper-case hex", () => {
  assert.equal(formatAddr({ network: 0, node: 298 }), "0:0000.0000.012A");
  assert.equal(formatAddr({ network: 1, node: 0xf2910004 }), "1:0001.F291.0004");
  assert.equal(formatAddr({ network: 23, node: 0x101 }), "23:0017.0000.0101");
  assert.equal(formatAddr({ network: 65535, node: 0xffffffff }), "65535:FFFF.FFFF.FFFF");
  assert.equal(formatAddr({ network: 7, node: 298 }), "7:0007.0000.012A");
  assert.equal(formatAddr(broadcastAddr(5)), "5:0005.FFFF.FFFF");
});

Deno.test("parseAddr() accepts the §1.2 valid examples", () => {
  assert.deepEqual(parseAddr("0:0000.0000.0100"), { network: 0, node: 0x100 });
  assert.deepEqual(parseAddr("1:0001.f291.0004"), { network: 1, node: 0xf2910004 });
  assert.deepEqual(parseAddr("007:0007.0000.0100"), { network: 7, node: 0x100 });
  assert.deepEqual(parseAddr("0:0000.0000.012A"), { network: 0, node: 298 });
  assert.deepEqual(parseAddr("65535:FFFF.FFFF.FFFF"), { network: 65535, node: 0xffffffff });
  assert.deepEqual(parseAddr("5:0005.FFFF.FFFF"), broadcastAddr(5));
});

Deno.test("parseAddr() rejects the §1.2 invalid examples with the first failing rule", () => {
  assertBadAddress("", "bad length");
  assertBadAddress("0", "bad length");
  assertBadAddress("0:0000.0000", "bad length");
  assertBadAddress("0:0000.0000.0000.0000", "bad length");
  assertBadAddress("0:000.0000.0000", "bad length");
  assertBadAddress("99999:0000.0000.0000", "bad network");
  assertBadAddress("0:ZZZZ.0000.0000", "bad node groups");
  assertBadAddress("1:0000.0000.0100", "network mismatch");
});

Deno.test("parseAddr() applies rule 1 to whitespace and non-ASCII anywhere", () => {
  assertBadAddress(" 0:0000.0000.0100", "bad length");
  assertBadAddress("0:0000.0000.0100\n", "bad length");
  assertBadAddress("0:0000.00\t0.0100", "bad length");
  assertBadAddress("0:0000.0000.010é", "bad length");
  assertBadAddress("0:0000.0000.01\u00a00", "bad length");
});

Deno.test("parseAddr() applies rule 2: split at the first colon, 1-5 unsigned digits, at most 65535", () => {
  assertBadAddress("00000000:0000.0000", "bad network"); // no digits problem: 8 digits
  assertBadAddress("+1:0001.0000.0100", "bad network");
  assertBadAddress("-1:0001.0000.0100", "bad network");
  assertBadAddress("65536:0000.0000.0100", "bad network");
  assertBadAddress(":0000.0000.0100x", "bad network");
  assertBadAddress("0x0000.0000.0100", "bad network"); // no colon at all
  assertBadAddress("0:0:000.0000.0100", "bad node groups"); // first colon splits
  assert.deepEqual(parseAddr("00000:0000.0000.0100"), { network: 0, node: 0x100 });
  assert.deepEqual(parseAddr("65535:ffff.0000.0100"), { network: 65535, node: 0x100 });
});

Deno.test("parseAddr() applies rule 3: exactly three groups of exactly four hex digits", () => {
  assertBadAddress("0:0000-0000-0100", "bad node groups");
  assertBadAddress("0:0000.0000.01000", "bad node groups");
  assertBadAddress("0:00000.000.0100", "bad node groups");
  assertBadAddress("0:0000.0000.010g", "bad node groups");
  assertBadAddress("0:0000.0000.0100.", "bad node groups");
});

Deno.test("parseAddr() applies rule 4 comparing hex group 1 with the decimal network", () => {
  assertBadAddress("10:0010.0000.0100", "network mismatch");
  assert.deepEqual(parseAddr("16:0010.0000.0100"), { network: 16, node: 0x100 });
  assertBadAddress("0:0001.0000.0100", "network mismatch");
});

Deno.test("parseAddr() turns a non-string into a bad-length error, not a TypeError", () => {
  assert.throws(() => parseAddr(42 as unknown as string), (err: unknown) => {
    return err instanceof PilotError && err.code === "invalid_argument" &&
      err.message === `invalid address "42": bad length`;
  });
});

Deno.test("parseAddr(formatAddr(a)) round-trips random addresses", () =>
  withSeed((rng) => {
    for (let i = 0; i < 2000; i++) {
      const a: Addr = { network: rng.int(0, 0xffff), node: rng.u32() };
      assert.deepEqual(parseAddr(formatAddr(a)), a);
      assert.deepEqual(parseAddr(formatAddr(a).toLowerCase()), a);
      assert.deepEqual(decodeAddr(encodeAddr(a)), a);
    }
  }));

Deno.test("encodeAddr() writes network then node big-endian", () => {
  assert.equal(toHex(encodeAddr({ network: 0x0102, node: 0x03040506 })), "010203040506");
  assert.deepEqual(decodeAddr(Uint8Array.of(9, 9, 0, 1, 0, 0, 1, 2), 2), { network: 1, node: 0x102 });
});

Deno.test("encodeAddr() rejects out-of-range fields", () => {
  assert.throws(() => encodeAddr({ network: 65536, node: 1 }), WireFormatError);
  assert.throws(() => encodeAddr({ network: 0, node: -1 }), WireFormatError);
  assert.throws(() => encodeAddr({ network: 0, node: 2 ** 32 }), WireFormatError);
  assert.throws(() => encodeAddr({ network: 0.5, node: 1 }), WireFormatError);
});

Deno.test("decodeAddr() rejects a buffer with fewer than 6 bytes at the offset", () => {
  assert.throws(
    () => decodeAddr(new Uint8Array(5)),
    (err: unknown) => err instanceof WireFormatError && err.field === "addr",
  );
  assert.throws(() => decodeAddr(new Uint8Array(8), 3), WireFormatError);
});

Deno.test("parseSockAddr() splits at the last colon", () => {
  const s = parseSockAddr("0:0000.0000.012A:1001");
  assert.deepEqual(s, { addr: { network: 0, node: 298 }, port: 1001 });
  assert.equal(formatSockAddr(s), "0:0000.0000.012A:1001");
  assert.deepEqual(parseSockAddr("5:0005.FFFF.FFFF:65535").port, 65535);
  assert.deepEqual(parseSockAddr("5:0005.FFFF.FFFF:00080").port, 80);
});

Deno.test("parseSockAddr() rejects bad ports and bad addresses with invalid_argument", () => {
  for (
    const text of ["0:0000.0000.012A:", "0:0000.0000.012A:65536", "0:0000.0000.012A:123456", "0:0000.0000.012A:-1", "x"]
  ) {
    assert.throws(() => parseSockAddr(text), (err: unknown) => {
      return err instanceof PilotError && err.code === "invalid_argument" && err.detail === "bad_address" &&
        err.message.startsWith(`invalid socket address "${text}"`);
    });
  }
  assertBadSock("1:0000.0000.0100:80", `invalid address "1:0000.0000.0100": network mismatch`);
  assertBadSock("0:0000.0000.012A", `invalid socket address "0:0000.0000.012A": bad port`);
});

function assertBadSock(text: string, message: string): void {
  assert.throws(
    () => parseSockAddr(text),
    (err: unknown) => err instanceof InvalidArgumentError && err.message === message,
  );
}

Deno.test("special node ids have the §1.3 values", () => {
  assert.deepEqual(
    [NODE_UNSPECIFIED, NODE_REGISTRY, NODE_BEACON, NODE_NAMESERVER, NODE_BROADCAST, RESERVED_MAX, FIRST_ASSIGNED_NODE],
    [0, 1, 2, 3, 0xffffffff, 0xff, 0x100],
  );
  assert.ok(isReservedNode(0) && isReservedNode(3) && isReservedNode(0xff));
  assert.ok(!isReservedNode(0x100) && !isReservedNode(NODE_BROADCAST));
});

Deno.test("addrKey() and addrEquals() distinguish network and node", () => {
  const a = { network: 1, node: 0 };
  const b = { network: 0, node: 0x1_0000 };
  assert.notEqual(addrKey(a), addrKey(b));
  assert.equal(addrKey({ network: 65535, node: 0xffffffff }), 2 ** 48 - 1);
  assert.ok(addrEquals(a, { network: 1, node: 0 }) && !addrEquals(a, b));
});
