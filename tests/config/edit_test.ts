// Edits of config.json: `--set k=v` typed per key, `--unset k`, and programmatic updates.
import assert from "node:assert/strict";
import { applyConfigEdits, parseSetting, removeConfigKeys, updateConfigFile } from "../../src/config/edit.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

Deno.test("parseSetting() types the value per key", () => {
  assert.deepEqual(parseSetting("public=true"), { key: "public", value: true });
  assert.deepEqual(parseSetting("lan_addrs=10.0.0.1:1,10.0.0.2:2"), {
    key: "lan_addrs",
    value: ["10.0.0.1:1", "10.0.0.2:2"],
  });
  assert.deepEqual(parseSetting("max_file_size=2048"), { key: "max_file_size", value: 2048 });
  assert.deepEqual(parseSetting("webhook_secret=a=b"), { key: "webhook_secret", value: "a=b" });
  assert.deepEqual(parseSetting("hostname="), { key: "hostname", value: "" });
});

Deno.test("parseSetting() rejects a missing = and unknown keys with hint pilotctl config", () => {
  assert.throws(
    () => parseSetting("public"),
    (e: unknown) => e instanceof InvalidArgumentError && /use key=value/.test(e.message),
  );
  assert.throws(
    () => parseSetting("colour=red"),
    (e: unknown) =>
      e instanceof InvalidArgumentError && e.message === 'unknown config key "colour"' && e.hint === "pilotctl config",
  );
});

Deno.test("applyConfigEdits() keeps unknown keys and order, and reports each change once", () => {
  const { object, changed } = applyConfigEdits(
    { extra: 1, hostname: "a" },
    ["hostname=b", "public=true", "hostname=c"],
    ["extra"],
  );
  assert.deepEqual(object, { hostname: "c", public: true });
  assert.deepEqual(changed, [
    { key: "public", value: true },
    { key: "hostname", value: "c" },
    { key: "extra", value: null },
  ]);
});

Deno.test("applyConfigEdits() refuses to unset a key that is neither known nor in the file", () => {
  assert.throws(() => applyConfigEdits({}, [], ["nope"]), /unknown config key "nope"/);
  assert.deepEqual(applyConfigEdits({}, [], ["hostname"]).object, {});
});

Deno.test("updateConfigFile() and removeConfigKeys() edit a file and keep other keys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-edit-" });
  try {
    const path = `${dir}/config.json`;
    assert.deepEqual(await updateConfigFile(path, { hostname: "a" }), { created: true });
    await Deno.writeTextFile(path, '{"custom":true,"hostname":"a"}');
    assert.deepEqual(await updateConfigFile(path, { public: true }), { created: false });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { custom: true, hostname: "a", public: true });
    await removeConfigKeys(path, ["hostname"]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { custom: true, public: true });
    await Deno.writeTextFile(path, "[1]");
    await assert.rejects(() => updateConfigFile(path, { public: false }), InvalidArgumentError);
    assert.equal(await Deno.readTextFile(path), "[1]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
