// The printed unit is fed to `systemd-analyze verify`, which parses it as systemd would and reports unknown keys and
// unparsable values (skipped where systemd-analyze is not installed).
import assert from "node:assert/strict";

const SCRIPT = new URL("../../scripts/registry_unit.ts", import.meta.url).pathname;

async function hasSystemdAnalyze(): Promise<boolean> {
  try {
    const out = await new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

async function printUnit(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("scripts/registry_unit.ts exits 2 with a message on a bad flag", async () => {
  const result = await printUnit(["--tls-cert", "/etc/c.pem"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, "error: --tls-cert and --tls-key must be given together\n");
});

Deno.test({
  name: "systemd-analyze verify accepts the printed unit without a warning",
  ignore: !(await hasSystemdAnalyze()),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pilot-unit-" });
    try {
      // The binary must exist for verify; any executable stands in for pilotctl.
      const result = await printUnit([
        "--bin",
        "/bin/sh",
        "--listen",
        ":443",
        "--tls-cert",
        "/etc/hostname",
        "--tls-key",
        "/etc/hostname",
        "--limits",
        "/etc/pilot/limits.json",
        "--environment-file",
        "/etc/pilot/registry.env",
        "--metrics",
        "127.0.0.1:9100",
      ]);
      assert.equal(result.code, 0, result.stderr);
      await Deno.writeTextFile(`${dir}/pilot-registry.service`, result.stdout);
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", "--man=no", `${dir}/pilot-registry.service`],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, report);
      assert.equal(report.trim(), "", "systemd-analyze reported problems");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
