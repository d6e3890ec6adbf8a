// Field rules of PROTOCOL-BRIEF §4.4: names, tags, endpoints, node references.
import assert from "node:assert/strict";
import { RegistryError } from "../../src/registry/protocol.ts";
import {
  normalizeTags,
  optLanAddrs,
  reqNodeRef,
  validateEndpoint,
  validateHostname,
  validateNetworkName,
  validateOwner,
} from "../../src/registry/validation.ts";

function code(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (err) {
    return err instanceof RegistryError ? err.code : "threw";
  }
}

Deno.test("validateHostname() accepts 1-63 lower-case labels and refuses the rest", () => {
  for (const ok of ["a", "a1", "web-1", "x".repeat(63), "1a", "a-b-c"]) assert.equal(validateHostname(ok), ok);
  for (
    const bad of [
      "",
      "-a",
      "a-",
      "A",
      "a.b",
      "a_b",
      "x".repeat(64),
      "123",
      "localhost",
      "backbone",
      "broadcast",
      "registry",
      "beacon",
      "nameserver",
      "é",
    ]
  ) {
    assert.equal(code(() => validateHostname(bad)), "invalid_argument", bad);
  }
  assert.equal(code(() => validateNetworkName("nameserver")), "invalid_argument");
});

Deno.test("normalizeTags() strips one #, dedupes and caps at 10", () => {
  assert.deepEqual(normalizeTags(["#a", "a", "b"]), ["a", "b"]);
  assert.deepEqual(normalizeTags(Array.from({ length: 12 }, () => "same")), ["same"]);
  assert.equal(code(() => normalizeTags(Array.from({ length: 11 }, (_, i) => `t${i}`))), "invalid_argument");
  assert.equal(code(() => normalizeTags(["##a"])), "invalid_argument");
  assert.equal(code(() => normalizeTags(["x".repeat(33)])), "invalid_argument");
  assert.deepEqual(normalizeTags(["x".repeat(32)]), ["x".repeat(32)]);
  assert.equal(code(() => normalizeTags([5])), "bad_request");
  assert.equal(code(() => normalizeTags(Array.from({ length: 100 }, () => "a"))), "invalid_argument");
});

Deno.test("validateEndpoint() canonicalises ip:port and refuses anything else", () => {
  assert.equal(validateEndpoint("1.2.3.4:5", "endpoint"), "1.2.3.4:5");
  assert.equal(validateEndpoint("[::ffff:1.2.3.4]:5", "endpoint"), "1.2.3.4:5");
  assert.equal(validateEndpoint("[2001:DB8::1]:9", "endpoint"), "[2001:db8::1]:9");
  for (const bad of ["1.2.3.4", "1.2.3.4:0", "host:1", "1.2.3.4:70000", "::1:5"]) {
    assert.equal(code(() => validateEndpoint(bad, "endpoint")), "invalid_argument", bad);
  }
  assert.equal(code(() => validateEndpoint(5, "endpoint")), "bad_request");
  assert.equal(code(() => optLanAddrs({ lan_addrs: ["1.1.1.1:1", "1.1.1.1:1"] })), "ok");
  assert.deepEqual(optLanAddrs({ lan_addrs: ["1.1.1.1:1", "1.1.1.1:1"] }), ["1.1.1.1:1"]);
});

Deno.test("reqNodeRef() takes an integer id or an address text", () => {
  assert.equal(reqNodeRef({ t: 0x105 }, "t"), 0x105);
  assert.equal(reqNodeRef({ t: "1:0001.F291.0004" }, "t"), 0xf2910004);
  assert.equal(code(() => reqNodeRef({ t: "1:0000.0000.0100" }, "t")), "invalid_argument");
  assert.equal(code(() => reqNodeRef({ t: 2 ** 32 }, "t")), "invalid_argument");
  assert.equal(code(() => reqNodeRef({ t: true }, "t")), "bad_request");
  assert.equal(code(() => reqNodeRef({}, "t")), "bad_request");
});

Deno.test("validateOwner() wants something shaped like an e-mail of at most 254 chars", () => {
  assert.equal(validateOwner("a@b"), "a@b");
  for (const bad of ["ab", "@b", "a@", "a b@c", "a@" + "b".repeat(253)]) {
    assert.equal(code(() => validateOwner(bad)), "invalid_argument", bad);
  }
});
