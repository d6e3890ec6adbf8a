// Target classification of CLI.md §1.5: address, all digits (backbone node), or hostname.
import assert from "node:assert/strict";
import { classifyTarget } from "../../src/cli/target.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

function rejects(text: string, message: string): void {
  assert.throws(() => classifyTarget(text), (e: unknown) => e instanceof InvalidArgumentError && e.message === message);
}

Deno.test("classifyTarget() uses an address as given, normalised to upper case", () => {
  assert.deepEqual(classifyTarget("0:0000.0000.012a"), {
    kind: "address",
    addr: { network: 0, node: 298 },
    text: "0:0000.0000.012A",
  });
  assert.deepEqual(classifyTarget("7:0007.0000.012A").kind, "address");
});

Deno.test("classifyTarget() reads all digits as a backbone node id", () => {
  assert.deepEqual(classifyTarget("298"), { kind: "node", addr: { network: 0, node: 298 }, text: "0:0000.0000.012A" });
});

Deno.test("classifyTarget() treats anything else as a hostname", () => {
  assert.deepEqual(classifyTarget("bob"), { kind: "hostname", hostname: "bob" });
});

Deno.test("classifyTarget() rejects malformed targets with the parsers' texts", () => {
  rejects("0:9999.9999.9999", 'invalid address "0:9999.9999.9999": network mismatch');
  rejects("0:0000.0000", 'invalid address "0:0000.0000": bad length');
  rejects("0", 'invalid node id "0"');
  rejects("-1", 'invalid hostname "-1"');
  rejects("Bob", 'invalid hostname "Bob"');
  rejects("a".repeat(64), "hostname too long (max 63 characters)");
});
