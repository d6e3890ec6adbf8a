// The in-memory I/O seam used by in-process CLI tests.
import assert from "node:assert/strict";
import { MemoryIo } from "../../src/cli/io.ts";

Deno.test("MemoryIo collects text and bytes written to stdout and stderr", async () => {
  const io = new MemoryIo();
  await io.stdout.write("a");
  await io.stdout.write(new Uint8Array([0x62]));
  await io.stderr.write("e");
  assert.equal(io.stdout.text(), "ab");
  assert.equal(io.stderr.text(), "e");
});

Deno.test("MemoryIo stdin yields the given bytes and reports whether it is a terminal", async () => {
  const io = new MemoryIo({ stdin: "hello", stdinIsTerminal: true });
  assert.equal(io.stdin.isTerminal(), true);
  assert.equal(await new Response(io.stdin.readable).text(), "hello");
  assert.equal(new MemoryIo().stdin.isTerminal(), false);
});
