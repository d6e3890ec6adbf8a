// IP and endpoint text/bytes helpers used by beacon messages and registry endpoints (PROTOCOL-BRIEF §3.1, §5.1).
import assert from "node:assert/strict";
import {
  formatEndpoint,
  type Ip,
  ipEquals,
  ipFromBytes,
  ipFromText,
  ipToText,
  normalizeIp,
  parseEndpoint,
} from "../../src/wire/ip.ts";
import { withSeed } from "../_support/prng.ts";

Deno.test("ipFromText() parses IPv4 and IPv6 and ipToText() writes RFC 5952 text", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["fe80::", "fe80::"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
  ];
  for (const [input, text] of cases) {
    const ip = ipFromText(input);
    assert.ok(ip !== null, input);
    assert.equal(ipToText(ip), text);
  }
});

Deno.test("ipFromText() normalises IPv4-mapped IPv6 to IPv4", () => {
  for (const text of ["::ffff:1.2.3.4", "::FFFF:0102:0304", "0:0:0:0:0:ffff:1.2.3.4"]) {
    assert.deepEqual(ipFromText(text), { family: 4, bytes: Uint8Array.of(1, 2, 3, 4) });
  }
  const mapped = new Uint8Array(16);
  mapped.set([0xff, 0xff, 9, 8, 7, 6], 10);
  assert.deepEqual(ipFromBytes(mapped), { family: 4, bytes: Uint8Array.of(9, 8, 7, 6) });
  assert.deepEqual(normalizeIp({ family: 6, bytes: mapped }), { family: 4, bytes: Uint8Array.of(9, 8, 7, 6) });
  assert.equal(ipToText({ family: 6, bytes: mapped }), "::ffff:9.8.7.6");
});

Deno.test("ipFromText() returns null for malformed text", () => {
  for (
    const text of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3.-4",
      " 1.2.3.4",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "fe80::1%eth0",
      "[::1]",
      "::1.2.3",
      "1.2.3.4::",
      "g::",
    ]
  ) {
    assert.equal(ipFromText(text), null, text);
  }
});

Deno.test("parseEndpoint() reads ip:port and [ipv6]:port", () => {
  assert.equal(formatEndpoint(parseEndpoint("10.0.0.1:9001")!), "10.0.0.1:9001");
  assert.equal(formatEndpoint(parseEndpoint("[2001:db8::1]:443")!), "[2001:db8::1]:443");
  assert.equal(formatEndpoint(parseEndpoint("[::ffff:1.2.3.4]:5")!), "1.2.3.4:5");
  for (const text of ["10.0.0.1", "10.0.0.1:0", "10.0.0.1:65536", "::1:80", "[1.2.3.4]:80", "[::1]", "x:1", ""]) {
    assert.equal(parseEndpoint(text), null, text);
  }
});

Deno.test("ipFromText(ipToText(ip)) round-trips random addresses", () =>
  withSeed((rng) => {
    for (let i = 0; i < 2000; i++) {
      const bytes = rng.bytes(rng.bool() ? 4 : 16);
      if (bytes.length === 16 && rng.bool()) bytes.fill(0, rng.int(0, 16), rng.int(0, 16)); // zero runs
      const ip = ipFromBytes(bytes) as Ip;
      const back = ipFromText(ipToText(ip));
      assert.ok(back !== null && ipEquals(back, ip), ipToText(ip));
    }
  }));
