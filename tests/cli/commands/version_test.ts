// `pilotctl version` (CLI.md §3.10).
import assert from "node:assert/strict";
import denoJson from "../../../deno.json" with { type: "json" };
import { runCli } from "../_run.ts";

Deno.test("version reports the version of deno.json", async () => {
  const out = await runCli(["version", "--json"]);
  assert.equal(out.code, 0);
  const data = JSON.parse(out.stdout).data;
  assert.equal(data.version, denoJson.version);
  assert.equal(typeof data.arch, "string");
});

Deno.test("version --help shows its usage instead", async () => {
  const out = await runCli(["version", "--help"]);
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: pilotctl version\n/);
});
