// docs/SDK.md stays true to the API: every TypeScript block in it (except those marked `ignore`) type-checks
// against mod.ts, run as `deno check --doc-only` in a real process. In the slow tier: with a cold type-check cache
// it checks each block's whole module graph.
import assert from "node:assert/strict";
import { REPO_ROOT } from "../../scripts/bench/pilot_process.ts";

const DOC = "docs/SDK.md";

Deno.test("the TypeScript snippets of docs/SDK.md type-check against mod.ts", async () => {
  const text = await Deno.readTextFile(`${REPO_ROOT}${DOC}`);
  const checked = text.match(/^```ts$/gm)?.length ?? 0;
  assert.ok(checked >= 5, `only ${checked} checked blocks`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--doc-only", DOC],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});
