// `pilotctl set-tags <tag>…` and `clear-tags` (CLI.md §3.3).
import assert from "node:assert/strict";
import { dataOf, errorEnvelope, fakeDaemon, SELF_ID } from "./_daemon.ts";

const echoTags = { set_tags: (args: Record<string, unknown>) => Promise.resolve({ tags: args.tags }) };

Deno.test("set-tags drops a leading #, deduplicates and prints `Tags: a, b`", async () => {
  await using d = await fakeDaemon(echoTags);
  const out = await d.run(["set-tags", "#gpu", "summarizer", "gpu"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "Tags: gpu, summarizer\n");
  assert.deepEqual(d.argsOf("set_tags"), [{ tags: ["gpu", "summarizer"] }]);
  assert.deepEqual(dataOf(await d.run(["--json", "set-tags", "a"])), { node_id: SELF_ID, tags: ["a"] });
});

Deno.test("set-tags refuses bad or too many tags (exit 1) and no tags (exit 2)", async () => {
  await using d = await fakeDaemon(echoTags);
  assert.equal(errorEnvelope(await d.run(["--json", "set-tags", "Bad_Tag"])).message, 'invalid tag "Bad_Tag"');
  const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`);
  assert.equal(errorEnvelope(await d.run(["--json", "set-tags", ...eleven])).message, "too many tags (max 10)");
  assert.equal((await d.run(["set-tags"])).code, 2);
  assert.deepEqual(d.calls, []);
});

Deno.test("clear-tags sets an empty list", async () => {
  await using d = await fakeDaemon(echoTags);
  const out = await d.run(["--json", "clear-tags"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(dataOf(out), { node_id: SELF_ID, tags: [] });
  assert.deepEqual(d.argsOf("set_tags"), [{ tags: [] }]);
});
