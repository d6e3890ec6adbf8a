import assert from "node:assert/strict";
import { parseExposeTarget } from "../../src/daemon/expose_target.ts";

Deno.test("parseExposeTarget() reads a bare port as 127.0.0.1:<port>", () => {
  assert.deepEqual(parseExposeTarget("3000"), { hostname: "127.0.0.1", port: 3000, text: "127.0.0.1:3000" });
  assert.deepEqual(parseExposeTarget("65535").port, 65_535);
});

Deno.test("parseExposeTarget() reads host:port with an IPv4 literal, a DNS name or a bracketed IPv6 literal", () => {
  assert.deepEqual(parseExposeTarget("10.0.0.5:80"), { hostname: "10.0.0.5", port: 80, text: "10.0.0.5:80" });
  assert.deepEqual(parseExposeTarget("localhost:8080"), { hostname: "localhost", port: 8080, text: "localhost:8080" });
  assert.deepEqual(parseExposeTarget("db-1.internal.example:5432").hostname, "db-1.internal.example");
  assert.deepEqual(parseExposeTarget("[::1]:3000"), { hostname: "::1", port: 3000, text: "[::1]:3000" });
  assert.deepEqual(parseExposeTarget("[fe80::1:2]:1").hostname, "fe80::1:2");
});

Deno.test("parseExposeTarget() rejects bad forms with invalid_argument detail bad_address, quoting the input", () => {
  const bad = [
    "",
    "0",
    "65536",
    "host",
    "host:",
    ":80",
    "host:0",
    "host:65536",
    "host:8o",
    "::1:80",
    "[::1]",
    "[::1]80",
    "[nothost]:80",
    "a b:80",
    "-host:80",
    "host..x:80",
    "300.1.1.1:80",
    "1.2.3:80",
    `${"a".repeat(254)}:80`,
    `${"a".repeat(400)}`,
  ];
  for (const text of bad) {
    assert.throws(() => parseExposeTarget(text), (err: Error & { code?: string; detail?: string }) => {
      assert.equal(err.code, "invalid_argument", text);
      assert.equal(err.detail, "bad_address", text);
      assert.ok(err.message.startsWith(`invalid expose target "${text.slice(0, 64)}`), err.message);
      return true;
    });
  }
});
