// Value parsers of CLI.md §1.5: durations, ports, node ids, host:port and registry addresses.
import assert from "node:assert/strict";
import {
  formatDurationMs,
  formatHostPort,
  parseDurationMs,
  parseHostPort,
  parseIpPort,
  parseNodeId,
  parseNonNegativeInt,
  parsePort,
  parseRegistryAddress,
} from "../../src/config/values.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgumentError && err.message === message);
}

Deno.test("parseDurationMs() accepts every form of §1.5", () => {
  assert.equal(parseDurationMs("500ms"), 500);
  assert.equal(parseDurationMs("10s"), 10_000);
  assert.equal(parseDurationMs("1m"), 60_000);
  assert.equal(parseDurationMs("1m30s"), 90_000);
  assert.equal(parseDurationMs("2h"), 7_200_000);
  assert.equal(parseDurationMs("10"), 10_000);
  assert.equal(parseDurationMs("0.5"), 500);
  assert.equal(parseDurationMs("0"), 0);
  assert.equal(parseDurationMs("1h2m3s4ms"), 3_723_004);
  assert.equal(parseDurationMs("1.5s"), 1500);
});

Deno.test("parseDurationMs() rejects negative, empty and unknown units with the exact text", () => {
  for (const bad of ["-1", "", "10x", "5d", "1m30", "s", "1 s", "-5s", ".5", "1e3", "10S"]) {
    rejects(() => parseDurationMs(bad), `invalid duration "${bad}" (use 500ms, 10s, 1m30s or seconds)`);
  }
});

Deno.test("formatDurationMs() writes the shortest parseable form", () => {
  assert.equal(formatDurationMs(500), "500ms");
  assert.equal(formatDurationMs(10_000), "10s");
  assert.equal(formatDurationMs(90_000), "1m30s");
  assert.equal(formatDurationMs(7_200_000), "2h");
  assert.equal(formatDurationMs(1500), "1.5s");
  for (const ms of [500, 10_000, 90_000, 7_200_000, 1500, 3_723_000]) {
    assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
  }
});

Deno.test("parsePort() accepts 1-65535 and rejects 0, -1, 99999 and non-digits", () => {
  assert.equal(parsePort("1"), 1);
  assert.equal(parsePort("65535"), 65535);
  assert.equal(parsePort("1001"), 1001);
  for (const bad of ["0", "-1", "99999", "65536", "abc", "", "1.5", " 80", "+80"]) {
    rejects(() => parsePort(bad), "port must be 1-65535");
  }
});

Deno.test("parsePort() allows 0 only for listen addresses", () => {
  assert.equal(parsePort("0", { allowZero: true }), 0);
  rejects(() => parsePort("-1", { allowZero: true }), "port must be 1-65535");
});

Deno.test("parseNodeId() accepts 1-4294967295 and rejects 0, signs and non-digits", () => {
  assert.equal(parseNodeId("1"), 1);
  assert.equal(parseNodeId("298"), 298);
  assert.equal(parseNodeId("4294967295"), 4294967295);
  for (const bad of ["0", "-1", "+5", "abc", "", "4294967296", "12345678901", "1.0"]) {
    rejects(() => parseNodeId(bad), `invalid node id "${bad}"`);
  }
});

Deno.test("parseNonNegativeInt() names the flag in its error", () => {
  assert.equal(parseNonNegativeInt("0", "--count"), 0);
  assert.equal(parseNonNegativeInt("42", "--count"), 42);
  rejects(() => parseNonNegativeInt("-1", "--count"), 'invalid number "-1" for --count');
});

Deno.test("parseHostPort() splits names, IPv4 and bracketed IPv6", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:9000"), { host: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseHostPort("registry.example.com:443"), { host: "registry.example.com", port: 443 });
  assert.deepEqual(parseHostPort("[::1]:9001"), { host: "::1", port: 9001 });
  assert.equal(formatHostPort({ host: "::1", port: 9001 }), "[::1]:9001");
  assert.equal(formatHostPort({ host: "h", port: 1 }), "h:1");
});

Deno.test("parseHostPort() allows port 0 and an empty host only for listen addresses", () => {
  assert.deepEqual(parseHostPort("0.0.0.0:0", { listen: true }), { host: "0.0.0.0", port: 0 });
  assert.deepEqual(parseHostPort(":9000", { listen: true, allowEmptyHost: true }), { host: "", port: 9000 });
  rejects(() => parseHostPort("0.0.0.0:0"), "port must be 1-65535");
  rejects(() => parseHostPort(":9000"), 'invalid host:port ":9000"');
});

Deno.test("parseHostPort() rejects malformed input", () => {
  for (const bad of ["localhost", "host:", "[::1]9000", "[zz]:1", "a b:1", "-bad:1"]) {
    rejects(() => parseHostPort(bad), `invalid host:port "${bad}"`);
  }
  rejects(() => parseHostPort("h:99999"), "port must be 1-65535");
});

Deno.test("parseIpPort() accepts only IP literals", () => {
  assert.deepEqual(parseIpPort("192.168.1.5:4000"), { host: "192.168.1.5", port: 4000 });
  assert.deepEqual(parseIpPort("[fe80::1]:4000"), { host: "fe80::1", port: 4000 });
  rejects(() => parseIpPort("example.com:4000"), 'invalid ip:port "example.com:4000"');
  rejects(() => parseIpPort("256.1.1.1:4000"), 'invalid ip:port "256.1.1.1:4000"');
});

Deno.test("parseRegistryAddress() accepts host:port and tls://host:port", () => {
  assert.deepEqual(parseRegistryAddress("127.0.0.1:9000"), { tls: false, host: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseRegistryAddress("tls://reg.example.com:443"), {
    tls: true,
    host: "reg.example.com",
    port: 443,
  });
  rejects(
    () => parseRegistryAddress("http://x:1"),
    'invalid registry address "http://x:1" (use host:port or tls://host:port)',
  );
  rejects(() => parseRegistryAddress("x:0"), "port must be 1-65535");
});
