// Target parsing of the SDK (CLI.md §1.5): addresses and node ids are resolved locally, hostnames are left for the
// daemon, bad input fails with the parser's own message; broadcast addresses (PROTOCOL-BRIEF §1.3).
import assert from "node:assert/strict";
import { broadcastAddress, InvalidArgumentError } from "../../mod.ts";
import { localTarget } from "../../src/sdk/target.ts";

Deno.test("localTarget() upper-cases an address and turns a decimal id into a backbone address", () => {
  assert.deepEqual(localTarget("1:0001.f291.0004"), {
    addr: { network: 1, node: 0xf2910004 },
    address: "1:0001.F291.0004",
  });
  assert.deepEqual(localTarget("257"), { addr: { network: 0, node: 257 }, address: "0:0000.0000.0101" });
});

Deno.test("localTarget() leaves a hostname to the daemon (null)", () => {
  assert.equal(localTarget("bob"), null);
  assert.equal(localTarget("build-agent-7"), null);
});

Deno.test("localTarget() rejects a bad address, node id or hostname with invalid_argument", () => {
  assert.throws(() => localTarget("1:0000.0000.0100"), {
    name: "InvalidArgumentError",
    message: 'invalid address "1:0000.0000.0100": network mismatch',
  });
  assert.throws(() => localTarget("0"), { message: 'invalid node id "0"' });
  assert.throws(() => localTarget("Bad_Name!"), InvalidArgumentError);
});

Deno.test("broadcastAddress() is node FFFF.FFFF of the network; the backbone has none", () => {
  assert.equal(broadcastAddress(5), "5:0005.FFFF.FFFF");
  assert.equal(broadcastAddress(65534), "65534:FFFE.FFFF.FFFF");
  assert.throws(() => broadcastAddress(0), InvalidArgumentError);
  assert.throws(() => broadcastAddress(65535), InvalidArgumentError);
});
