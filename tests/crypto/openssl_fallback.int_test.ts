// With PILOT_OPENSSL=off the packet path falls back to node:crypto and WebCrypto (the path of machines without a
// libcrypto), and large frames still seal and open; by default the same probe reports what this machine uses.
import assert from "node:assert/strict";

const PROBE = new URL("./_aead_probe.ts", import.meta.url).pathname;

async function probe(env: Record<string, string>): Promise<{ backend: string; async: boolean; ok: boolean }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", PROBE], env, stderr: "inherit" }).output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim());
}

Deno.test("PILOT_OPENSSL=off: node:crypto / WebCrypto carry a 16 KiB frame", async () => {
  assert.deepEqual(await probe({ PILOT_OPENSSL: "off" }), { backend: "node", async: true, ok: true });
});

Deno.test("a library path that does not exist falls back the same way", async () => {
  const got = await probe({ PILOT_OPENSSL_LIB: "/nonexistent/libcrypto.so" });
  assert.deepEqual(got, { backend: "node", async: true, ok: true });
});

Deno.test("by default the probe frame opens on whatever this machine chose", async () => {
  const got = await probe({});
  assert.equal(got.ok, true);
  assert.equal(got.async, got.backend === "node", "only the node:crypto path goes asynchronous");
});

Deno.test("without --allow-ffi the fallback is chosen quietly (no permission prompt)", async () => {
  const args = ["run", "--allow-read", "--allow-env", "--no-prompt", PROBE];
  const out = await new Deno.Command(Deno.execPath(), { args, stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout).trim()), { backend: "node", async: true, ok: true });
});
