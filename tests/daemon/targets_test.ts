// Names in IPC arguments (CLI.md §1.5): addresses, decimal node ids, our own hostname; trust commands' node ids.
import assert from "node:assert/strict";
import { parseNodeArg, resolveName } from "../../src/daemon/targets.ts";
import type { RegistryClient } from "../../src/registry/mod.ts";
import { NotFoundError } from "../../src/util/errors.ts";

const registry = {
  resolveHostname: (name: string) =>
    name === "bob"
      ? Promise.resolve({ node_id: 0x101, address: "0:0000.0000.0101", hostname: "bob", public: false })
      : Promise.reject(new NotFoundError(`no node with hostname "${name}" is visible to you`)),
} as unknown as RegistryClient;
const deps = { selfNode: 0x105, selfHostname: () => "alice", registry: () => registry };

Deno.test("resolveName() takes addresses as given, digits as backbone ids, and hostnames from the registry", async () => {
  assert.deepEqual(await resolveName(deps, "7:0007.0000.0101"), { addr: { network: 7, node: 0x101 } });
  assert.deepEqual(await resolveName(deps, "298"), { addr: { network: 0, node: 298 } });
  assert.deepEqual(await resolveName(deps, "alice"), { addr: { network: 0, node: 0x105 }, hostname: "alice" });
  assert.deepEqual(await resolveName(deps, "bob"), {
    addr: { network: 0, node: 0x101 },
    hostname: "bob",
    public: false,
  });
});

Deno.test("resolveName() refuses bad addresses and unknown hostnames with the standard texts", async () => {
  await assert.rejects(() => resolveName(deps, "0:9999.9999.9999"), {
    code: "invalid_argument",
    message: 'invalid address "0:9999.9999.9999": network mismatch',
  });
  await assert.rejects(() => resolveName(deps, "carol"), {
    code: "not_found",
    message: 'cannot find "carol": unknown hostname or no mutual trust',
  });
  await assert.rejects(() => resolveName(deps, 12), { code: "invalid_argument" });
});

Deno.test("parseNodeArg() accepts an address or a decimal id and refuses anything else with the pending hint", () => {
  assert.equal(parseNodeArg("0:0000.0000.0100"), 256);
  assert.equal(parseNodeArg("256"), 256);
  assert.equal(parseNodeArg(256), 256);
  assert.throws(() => parseNodeArg("abc"), {
    code: "invalid_argument",
    message: 'invalid node id "abc"',
    hint: "use a NODE ID from: pilotctl pending",
  });
  assert.throws(() => parseNodeArg("0"), { message: 'invalid node id "0"' });
});
