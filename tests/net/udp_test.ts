import assert from "node:assert/strict";
import { normalizeHost } from "../../src/net/udp.ts";

Deno.test("normalizeHost() turns IPv4-mapped IPv6 into IPv4", () => {
  assert.equal(normalizeHost("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(normalizeHost("[::ffff:192.0.2.1]"), "192.0.2.1");
  assert.equal(normalizeHost("::FFFF:c000:0201"), "192.0.2.1");
});

Deno.test("normalizeHost() writes IPv6 in RFC 5952 form and keeps IPv4 and names", () => {
  assert.equal(normalizeHost("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(normalizeHost("[::1]"), "::1");
  assert.equal(normalizeHost("10.1.2.3"), "10.1.2.3");
  assert.equal(normalizeHost("beacon.example"), "beacon.example");
});
