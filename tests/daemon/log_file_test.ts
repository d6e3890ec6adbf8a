// The daemon's log file (CLI.md §1.8): appended, mode 0600, rotated to <file>.1 when it reaches the size limit.
import assert from "node:assert/strict";
import { RotatingFileSink } from "../../src/daemon/mod.ts";
import { Logger } from "../../src/log/logger.ts";

Deno.test("RotatingFileSink appends lines to an existing file and creates it 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-log-" });
  try {
    const path = `${dir}/pilot.log`;
    await Deno.writeTextFile(path, "earlier\n");
    using sink = RotatingFileSink.open(path);
    new Logger({ sink }).info("hello", { n: 1 });
    const text = await Deno.readTextFile(path);
    assert.ok(text.startsWith("earlier\n"));
    assert.match(text, /INFO {2}hello n=1\n$/);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RotatingFileSink renames the file to .1 at the limit and continues in a fresh one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-log-" });
  try {
    const path = `${dir}/pilot.log`;
    using sink = RotatingFileSink.open(path, 100);
    for (let i = 0; i < 5; i++) sink.write(`line ${i} ${"x".repeat(30)}`);
    const rotated = await Deno.readTextFile(`${path}.1`);
    const current = await Deno.readTextFile(path);
    assert.ok(rotated.length >= 100, "the rotated file reached the limit");
    assert.ok(current.length < 100);
    assert.match(rotated + current, /line 4/);
    // A second rotation replaces the previous .1.
    for (let i = 5; i < 10; i++) sink.write(`line ${i} ${"y".repeat(30)}`);
    assert.doesNotMatch(await Deno.readTextFile(`${path}.1`), /line 0 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
