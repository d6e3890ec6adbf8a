// `pilotctl find <hostname>` and `find --tag <tag>…` (CLI.md §3.3).
import assert from "node:assert/strict";
import { NotFoundError } from "../../../src/util/errors.ts";
import { BOB_ADDR, dataOf, errorEnvelope, fakeDaemon } from "./_daemon.ts";

Deno.test("find <hostname> prints the aligned record and returns its fields", async () => {
  await using d = await fakeDaemon({
    resolve: { node_id: 257, address: BOB_ADDR, hostname: "bob", public: false },
    lookup: { node_id: 257, address: BOB_ADDR, tags: ["a", "b"], public: false },
  });
  const out = await d.run(["find", "bob"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "Hostname:  bob\nNode ID:   257\nAddress:   0:0000.0000.0101\nVisible:   private\nTags:      a, b\n",
  );
  assert.deepEqual(dataOf(await d.run(["--json", "find", "bob"])), {
    hostname: "bob",
    node_id: 257,
    address: BOB_ADDR,
    public: false,
    tags: ["a", "b"],
  });
});

Deno.test("find of an unknown or hidden hostname is not_found with the standard hint", async () => {
  await using d = await fakeDaemon({ resolve: () => Promise.reject(new NotFoundError("not visible")) });
  const out = await d.run(["--json", "find", "carol"]);
  assert.equal(out.code, 1);
  const err = errorEnvelope(out);
  assert.equal(err.code, "not_found");
  assert.equal(err.message, 'cannot find "carol": unknown hostname or no mutual trust');
});

Deno.test("find --tag follows every page and prints the NODE ID/ADDRESS/HOSTNAME/TAGS table", async () => {
  await using d = await fakeDaemon({
    find_by_tag: (args) =>
      Promise.resolve(
        args.cursor === undefined
          ? {
            nodes: [{ node_id: 257, address: BOB_ADDR, hostname: "bob", tags: ["gpu"], public: true }],
            next_cursor: "257",
          }
          : { nodes: [{ node_id: 300, address: "0:0000.0000.012C", tags: ["gpu", "x"], public: false, online: true }] },
      ),
  });
  const out = await d.run(["find", "--tag", "#gpu", "--tag", "gpu"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "NODE ID  ADDRESS           HOSTNAME  TAGS\n" +
      "257      0:0000.0000.0101  bob       gpu\n" +
      "300      0:0000.0000.012C  -         gpu,x\n",
  );
  assert.deepEqual(d.argsOf("find_by_tag"), [{ tags: ["gpu"], limit: 100 }, {
    tags: ["gpu"],
    limit: 100,
    cursor: "257",
  }]);
  const data = dataOf(await d.run(["--json", "find", "--tag", "gpu"]));
  assert.equal(data.total, 2);
  assert.deepEqual((data.nodes as unknown[])[1], {
    node_id: 300,
    address: "0:0000.0000.012C",
    hostname: "",
    tags: ["gpu", "x"],
    public: false,
  });
});

Deno.test("find with no match succeeds with total 0; neither hostname nor --tag is exit 2", async () => {
  await using d = await fakeDaemon({ find_by_tag: { nodes: [] } });
  assert.deepEqual(dataOf(await d.run(["--json", "find", "--tag", "none"])), { nodes: [], total: 0 });
  const usage = await d.run(["find"]);
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, "error: missing <hostname> or --tag\nhint:  pilotctl find --help\n");
  assert.equal(errorEnvelope(await d.run(["--json", "find", "--tag", "Bad!"])).code, "invalid_argument");
});
