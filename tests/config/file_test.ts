// config.json on disk (CLI.md §1.7): strict reads, atomic 0600 writes in a 0700 directory.
import assert from "node:assert/strict";
import { ensurePrivateDir, readConfigFile, writeConfigFile, writeFileAtomic } from "../../src/config/file.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-config-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const posix = Deno.build.os !== "windows";

Deno.test("readConfigFile() treats a missing file as an empty object", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readConfigFile(`${dir}/config.json`), {
      path: `${dir}/config.json`,
      exists: false,
      object: {},
    });
  });
});

Deno.test("readConfigFile() keeps unknown keys in file order", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.json`, '{"zeta":1,"hostname":"a","alpha":[1]}');
    const file = await readConfigFile(`${dir}/config.json`);
    assert.equal(file.exists, true);
    assert.deepEqual(Object.keys(file.object), ["zeta", "hostname", "alpha"]);
  });
});

Deno.test("readConfigFile() rejects invalid JSON and non-objects, naming the file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    for (const text of ["{not json", "[]", "null", '"x"', "42", ""]) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(
        () => readConfigFile(path),
        (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith(`invalid config file ${path}: `),
        JSON.stringify(text),
      );
    }
  });
});

Deno.test("readConfigFile() reports a file it cannot read (a directory) as invalid_argument naming it", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    await Deno.mkdir(path);
    await assert.rejects(
      () => readConfigFile(path),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(path),
    );
  });
});

Deno.test("writeConfigFile() writes 2-space JSON with mode 0600 and creates the directory 0700", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/home/config.json`;
    await writeConfigFile(path, { hostname: "a", lan_addrs: ["1.1.1.1:1"] });
    assert.equal(await Deno.readTextFile(path), '{\n  "hostname": "a",\n  "lan_addrs": [\n    "1.1.1.1:1"\n  ]\n}\n');
    if (posix) {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${dir}/home`)).mode! & 0o777, 0o700);
    }
  });
});

Deno.test("writeFileAtomic() replaces the file and leaves no temporary file behind", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/f.json`;
    await Deno.writeTextFile(path, "old");
    await writeFileAtomic(path, "new");
    assert.equal(await Deno.readTextFile(path), "new");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["f.json"]);
  });
});

Deno.test("ensurePrivateDir() reports whether it created the directory", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await ensurePrivateDir(`${dir}/a/b`), true);
    assert.equal(await ensurePrivateDir(`${dir}/a/b`), false);
    if (posix) assert.equal((await Deno.stat(`${dir}/a/b`)).mode! & 0o777, 0o700);
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(() => ensurePrivateDir(`${dir}/file`), InvalidArgumentError);
  });
});
