// The pid file (CLI.md §1.8): decimal pid without a newline, 0600, a live owner refuses, a stale one is replaced,
// and only its own pid is removed.
import assert from "node:assert/strict";
import {
  claimPidFile,
  parsePid,
  processAlive,
  readPidFile,
  releasePidFile,
  writePidFile,
} from "../../src/daemon/mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-pid-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A pid that is certainly not running: a child we started and reaped. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""], stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("writePidFile() writes the pid in decimal without a newline, mode 0600", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/pilot.pid`;
    await writePidFile(path, 4101);
    assert.equal(await Deno.readTextFile(path), "4101");
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await readPidFile(path), 4101);
  });
});

Deno.test("readPidFile() returns null for a missing or malformed file", async () => {
  await withDir(async (dir) => {
    assert.equal(await readPidFile(`${dir}/none.pid`), null);
    await Deno.writeTextFile(`${dir}/bad.pid`, "12ab");
    assert.equal(await readPidFile(`${dir}/bad.pid`), null);
  });
  assert.equal(parsePid("0"), null);
  assert.equal(parsePid("-5"), null);
  assert.equal(parsePid("77\n"), 77);
});

Deno.test("processAlive() tells our own process from a reaped one", async () => {
  assert.equal(processAlive(Deno.pid), true);
  assert.equal(processAlive(await deadPid()), false);
});

Deno.test("claimPidFile() refuses a live owner with already_exists and replaces a stale file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/pilot.pid`;
    await writePidFile(path, Deno.pid);
    await assert.rejects(() => claimPidFile(path, 424_242), (err: Error & { code?: string }) => {
      assert.equal(err.code, "already_exists");
      assert.equal(err.message, `daemon is already running (pid ${Deno.pid})`);
      return true;
    });
    const stale = await deadPid();
    await writePidFile(path, stale);
    assert.equal(await claimPidFile(path, Deno.pid), stale);
    assert.equal(await readPidFile(path), Deno.pid);
  });
});

Deno.test("releasePidFile() removes the file only while it names the given pid", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/pilot.pid`;
    await writePidFile(path, 1234);
    await releasePidFile(path, 4321);
    assert.equal(await readPidFile(path), 1234);
    await releasePidFile(path, 1234);
    assert.equal(await readPidFile(path), null);
  });
});
