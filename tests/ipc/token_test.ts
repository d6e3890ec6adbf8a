// The Windows fallback's token file (PROTOCOL-BRIEF §8.1, CLI.md §1.8 ipc.token).
import assert from "node:assert/strict";
import {
  isIpcToken,
  newIpcToken,
  readIpcTokenFile,
  removeIpcTokenFile,
  writeIpcTokenFile,
} from "../../src/ipc/token.ts";

Deno.test("newIpcToken() is 32 random bytes in hex", () => {
  const a = newIpcToken();
  assert.equal(a.length, 64);
  assert.ok(isIpcToken(a));
  assert.notEqual(a, newIpcToken());
});

Deno.test("writeIpcTokenFile() writes port and token with mode 0600; readIpcTokenFile() reads them back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ipc.token`;
    const token = newIpcToken();
    await writeIpcTokenFile(path, { port: 41234, token });
    assert.deepEqual(await readIpcTokenFile(path), { port: 41234, token });
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await removeIpcTokenFile(path, newIpcToken());
    assert.ok(await readIpcTokenFile(path), "a different token leaves the file alone");
    await removeIpcTokenFile(path, token);
    assert.equal(await readIpcTokenFile(path), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readIpcTokenFile() returns null for missing or malformed files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ipc.token`;
    assert.equal(await readIpcTokenFile(path), null);
    for (
      const text of [
        "not json",
        "[]",
        `{"port":0,"token":"${"a".repeat(64)}"}`,
        `{"port":70000,"token":"${"a".repeat(64)}"}`,
        `{"port":1,"token":"${"A".repeat(64)}"}`,
        `{"port":1,"token":"abc"}`,
      ]
    ) {
      await Deno.writeTextFile(path, text);
      assert.equal(await readIpcTokenFile(path), null, text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
