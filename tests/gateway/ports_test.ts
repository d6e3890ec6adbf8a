import assert from "node:assert/strict";
import { checkPortPrivilege, parsePortList, type PortProbe } from "../../src/gateway/mod.ts";
import { InvalidArgumentError, UnauthorizedError } from "../../src/util/errors.ts";

Deno.test("parsePortList() reads a comma-separated list in order", () => {
  assert.deepEqual(parsePortList("80"), [80]);
  assert.deepEqual(parsePortList("80,443"), [80, 443]);
  assert.deepEqual(parsePortList("8080, 1,65535"), [8080, 1, 65535]);
});

Deno.test("parsePortList() rejects bad, empty and duplicate ports naming the list", () => {
  const cases: [string, RegExp][] = [
    ["", /port must be 1-65535/],
    ["0", /port must be 1-65535/],
    ["65536", /port must be 1-65535/],
    ["80,", /port must be 1-65535/],
    ["-1", /port must be 1-65535/],
    ["http", /port must be 1-65535/],
    ["80,80", /duplicate port 80/],
    [Array.from({ length: 33 }, (_, i) => String(i + 1)).join(","), /too many ports \(max 32\)/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parsePortList(text), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, text);
      assert.ok(err.message.startsWith(`invalid --ports "${text}": `), err.message);
      assert.match(err.message, message);
      return true;
    });
  }
});

function probe(uid: number | null, fail?: Error): PortProbe & { tried: number[] } {
  const tried: number[] = [];
  return {
    uid,
    tried,
    tryListen(_hostname, port) {
      tried.push(port);
      if (fail !== undefined) throw fail;
    },
  };
}

Deno.test("checkPortPrivilege() refuses a low port that cannot be bound, with the sudo hint", () => {
  const p = probe(1000, new Deno.errors.PermissionDenied("permission denied"));
  assert.throws(() => checkPortPrivilege([8080, 80], "127.4.0.1", p), (err: unknown) => {
    assert.ok(err instanceof UnauthorizedError);
    assert.match(err.message, /port 80/);
    assert.equal(err.hint, "use a port ≥ 1024, or run with sudo");
    return true;
  });
  assert.deepEqual(p.tried, [80]);
});

Deno.test("checkPortPrivilege() lets root, high ports and bindable low ports through", () => {
  const root = probe(0, new Deno.errors.PermissionDenied("x"));
  checkPortPrivilege([80, 443], "127.4.0.1", root);
  assert.deepEqual(root.tried, []);
  const high = probe(1000, new Deno.errors.PermissionDenied("x"));
  checkPortPrivilege([1024, 8080], "127.4.0.1", high);
  assert.deepEqual(high.tried, []);
  // Only a permission error counts: a busy or absent address is left to the real listener.
  checkPortPrivilege([80], "10.4.0.1", probe(1000, new Deno.errors.AddrNotAvailable("x")));
  checkPortPrivilege([80], "127.4.0.1", probe(1000, new Deno.errors.AddrInUse("x")));
  checkPortPrivilege([80], "127.4.0.1", probe(1000));
});
