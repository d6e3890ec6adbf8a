// `deno task build --dry-run` as a process: the five `deno compile` lines on stdout, exit 0, nothing created.
import assert from "node:assert/strict";
import { BUILD_TARGETS, compileArgs, compileCommandLine } from "../../scripts/build_plan.ts";

const BUILD_TS = new URL("../../scripts/build.ts", import.meta.url).pathname;
const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

async function build(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BUILD_TS, ...args],
    // No runtime archives: a dry run must not look for them.
    env: { DENORT_DIR: "/nonexistent" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("build.ts --dry-run prints the five deno compile invocations and builds nothing", async () => {
  const parent = await Deno.makeTempDir({ prefix: "pilot-build-" });
  try {
    const outDir = `${parent}/dist`;
    const result = await build(["--dry-run", "--out", outDir]);
    assert.equal(result.code, 0, result.stderr);
    const expected = BUILD_TARGETS.map((t) => compileCommandLine(compileArgs(t, outDir, `${ROOT}main.ts`)));
    assert.deepEqual(result.stdout.split("\n"), [...expected, ""]);
    assert.equal(result.stdout.split("\n").filter((l) => l.startsWith("deno compile ")).length, 5);
    assert.equal(result.stderr, "");
    await assert.rejects(Deno.stat(outDir), Deno.errors.NotFound);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("build.ts --dry-run --target prints only the chosen targets and rejects unknown ones", async () => {
  const one = await build(["--dry-run", "--out", "/tmp/pilot-never", "--target", "darwin-arm64"]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout.trim().split("\n").length, 1);
  assert.match(one.stdout, /--target aarch64-apple-darwin --output \/tmp\/pilot-never\/pilotctl-darwin-arm64 /);
  const bad = await build(["--dry-run", "--target", "solaris-sparc"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: unknown target "solaris-sparc" \(use linux-x64, /);
  const flag = await build(["--dry-run", "--fast"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^error: Unknown option '--fast'/);
});
