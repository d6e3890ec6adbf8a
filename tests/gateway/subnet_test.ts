import assert from "node:assert/strict";
import {
  defaultSubnet,
  firstFreeHost,
  formatIPv4,
  hostCount,
  isHostAddress,
  isLoopbackSubnet,
  needsAliases,
  parseIPv4,
  parseLocalIp,
  parseSubnet,
  subnetContains,
} from "../../src/gateway/mod.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

const ip = (text: string): number => {
  const value = parseIPv4(text);
  assert.notEqual(value, null, text);
  return value as number;
};

Deno.test("parseIPv4() and formatIPv4() round-trip the extremes", () => {
  for (const text of ["0.0.0.0", "127.4.0.1", "10.4.255.254", "255.255.255.255"]) {
    assert.equal(formatIPv4(ip(text)), text);
  }
  assert.equal(ip("255.255.255.255"), 0xffff_ffff);
  assert.equal(ip("127.4.0.1"), 0x7f04_0001);
});

Deno.test("parseIPv4() rejects other forms", () => {
  for (const text of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", "a.b.c.d", "::1"]) {
    assert.equal(parseIPv4(text), null, text);
  }
});

Deno.test("parseSubnet() accepts the defaults and canonicalises", () => {
  const s = parseSubnet("127.4.0.0/16");
  assert.equal(s.text, "127.4.0.0/16");
  assert.equal(s.prefix, 16);
  assert.equal(formatIPv4(s.network), "127.4.0.0");
  assert.equal(parseSubnet("10.4.0.0/16").text, "10.4.0.0/16");
  assert.equal(parseSubnet("127.4.9.0/24").text, "127.4.9.0/24");
});

Deno.test("parseSubnet() rejects bad CIDRs with invalid_argument naming the input", () => {
  const cases: [string, RegExp][] = [
    ["127.4.0.0", /not an IPv4 CIDR/],
    ["127.4.0.0/", /not an IPv4 CIDR/],
    ["127.4.0/16", /not an IPv4 CIDR/],
    ["fd00::/64", /not an IPv4 CIDR/],
    ["127.4.0.0/16/2", /not an IPv4 CIDR/],
    ["127.4.0.0/7", /prefix must be 8-30/],
    ["127.4.0.0/31", /prefix must be 8-30/],
    ["127.4.0.5/16", /host bits set/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseSubnet(text), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, text);
      assert.match(err.message, new RegExp(`^invalid subnet "${text.replaceAll(".", "\\.")}"`));
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("isHostAddress() excludes the network and broadcast addresses and anything outside", () => {
  const s = parseSubnet("127.4.0.0/16");
  assert.equal(isHostAddress(s, ip("127.4.0.0")), false);
  assert.equal(isHostAddress(s, ip("127.4.255.255")), false);
  assert.equal(isHostAddress(s, ip("127.4.0.1")), true);
  assert.equal(isHostAddress(s, ip("127.4.255.254")), true);
  assert.equal(isHostAddress(s, ip("127.5.0.1")), false);
  assert.equal(subnetContains(s, ip("127.4.200.3")), true);
  assert.equal(subnetContains(s, ip("127.3.255.255")), false);
  assert.equal(hostCount(s), 65_534);
  assert.equal(hostCount(parseSubnet("10.0.0.0/30")), 2);
});

Deno.test("firstFreeHost() hands out .1 first, then the lowest free address", () => {
  const s = parseSubnet("127.4.0.0/16");
  assert.equal(formatIPv4(firstFreeHost(s, new Set()) as number), "127.4.0.1");
  const used = new Set([ip("127.4.0.1"), ip("127.4.0.2"), ip("127.4.0.4")]);
  assert.equal(formatIPv4(firstFreeHost(s, used) as number), "127.4.0.3");
  used.add(ip("127.4.0.3"));
  assert.equal(formatIPv4(firstFreeHost(s, used) as number), "127.4.0.5");
  // Past .255 it carries into the next octet.
  const many = new Set(Array.from({ length: 255 }, (_, i) => s.network + 1 + i));
  assert.equal(formatIPv4(firstFreeHost(s, many) as number), "127.4.1.0");
});

Deno.test("firstFreeHost() returns null when the subnet is full", () => {
  const s = parseSubnet("10.0.0.0/30");
  assert.equal(firstFreeHost(s, new Set([ip("10.0.0.1"), ip("10.0.0.2")])), null);
  assert.equal(formatIPv4(firstFreeHost(s, new Set([ip("10.0.0.2")])) as number), "10.0.0.1");
});

Deno.test("needsAliases() is false only for 127/8 on Linux and Windows", () => {
  const loop = parseSubnet("127.4.0.0/16");
  const ten = parseSubnet("10.4.0.0/16");
  assert.equal(isLoopbackSubnet(loop), true);
  assert.equal(isLoopbackSubnet(ten), false);
  assert.equal(isLoopbackSubnet(parseSubnet("126.0.0.0/8")), false);
  assert.equal(needsAliases(loop, "linux"), false);
  assert.equal(needsAliases(loop, "windows"), false);
  assert.equal(needsAliases(loop, "darwin"), true);
  assert.equal(needsAliases(ten, "linux"), true);
});

Deno.test("defaultSubnet() is 127.4.0.0/16 on Linux and 10.4.0.0/16 elsewhere", () => {
  assert.equal(defaultSubnet("linux"), "127.4.0.0/16");
  assert.equal(defaultSubnet("darwin"), "10.4.0.0/16");
  assert.equal(defaultSubnet("windows"), "10.4.0.0/16");
});

Deno.test("parseLocalIp() accepts host addresses of the subnet only", () => {
  const s = parseSubnet("127.4.0.0/16");
  assert.equal(formatIPv4(parseLocalIp(s, "127.4.3.9")), "127.4.3.9");
  assert.throws(
    () => parseLocalIp(s, "127.5.0.1"),
    /local IP 127\.5\.0\.1 is outside the gateway subnet 127\.4\.0\.0\/16/,
  );
  assert.throws(() => parseLocalIp(s, "127.4.0.0"), InvalidArgumentError);
  assert.throws(() => parseLocalIp(s, "127.4.0.x"), /invalid local IP "127\.4\.0\.x"/);
});
