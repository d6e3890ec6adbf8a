import assert from "node:assert/strict";
import {
  artefactName,
  BUILD_TARGETS,
  compileArgs,
  compileCommandLine,
  denortArchiveName,
  denortCacheDir,
  selectTargets,
  sha256SumsText,
  shellQuote,
} from "../../scripts/build_plan.ts";

Deno.test("the five release targets map to the artefact names of the release", () => {
  assert.deepEqual(BUILD_TARGETS.map(artefactName), [
    "pilotctl-linux-x64",
    "pilotctl-linux-arm64",
    "pilotctl-darwin-x64",
    "pilotctl-darwin-arm64",
    "pilotctl-windows-x64.exe",
  ]);
});

Deno.test("compileArgs() grants exactly the permissions the program needs and unstable net", () => {
  const args = compileArgs(BUILD_TARGETS[4], "/out");
  assert.deepEqual(args, [
    "compile",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    "--allow-ffi",
    "--unstable-net",
    "--target",
    "x86_64-pc-windows-msvc",
    "--output",
    "/out/pilotctl-windows-x64.exe",
    "main.ts",
  ]);
  assert.ok(!args.includes("--allow-all") && !args.includes("-A"));
});

Deno.test("the runtime archive is looked up where deno compile caches it", () => {
  assert.equal(denortArchiveName(BUILD_TARGETS[1]), "denort-aarch64-unknown-linux-gnu.zip");
  assert.equal(denortCacheDir("/home/u/.cache/deno", "2.9.6"), "/home/u/.cache/deno/dl/release/v2.9.6");
});

Deno.test("selectTargets() accepts names and triples and rejects unknown ones", () => {
  assert.equal(selectTargets([]).length, 5);
  assert.deepEqual(selectTargets(["linux-x64", "aarch64-apple-darwin"]).map((t) => t.name), [
    "linux-x64",
    "darwin-arm64",
  ]);
  assert.throws(() => selectTargets(["solaris-sparc"]), /unknown target "solaris-sparc"/);
});

Deno.test("sha256SumsText() writes the sha256sum -c format", () => {
  assert.equal(
    sha256SumsText([{ name: "pilotctl-linux-x64", sha256: "ab".repeat(32) }]),
    `${"ab".repeat(32)}  pilotctl-linux-x64\n`,
  );
});

Deno.test("shellQuote() leaves plain words alone and single-quotes the rest", () => {
  assert.equal(shellQuote("--allow-net"), "--allow-net");
  assert.equal(shellQuote("/work/main/dist/pilotctl-linux-x64"), "/work/main/dist/pilotctl-linux-x64");
  assert.equal(shellQuote("/home/me/my tree/main.ts"), "'/home/me/my tree/main.ts'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote(""), "''");
});

Deno.test("compileCommandLine() prints the deno compile invocation a shell runs unchanged", () => {
  assert.equal(
    compileCommandLine(compileArgs(BUILD_TARGETS[0], "/tmp/my out", "/src/main.ts")),
    "deno compile --allow-net --allow-read --allow-write --allow-env --allow-run --allow-sys --allow-ffi --unstable-net " +
      "--target x86_64-unknown-linux-gnu --output '/tmp/my out/pilotctl-linux-x64' /src/main.ts",
  );
});
