// scripts/install.sh run for real with sh (dash) and bash against a local release folder holding a fake pilotctl:
// files written and their modes, idempotent PATH lines, the systemd unit and the launchd agent, checksum failures that
// install nothing, --no-service, --uninstall with and without --purge, unsupported platforms (docs/INSTALL.md).
import assert from "node:assert/strict";
import { availableShells, exists, InstallSandbox, mode, type RunResult } from "./install_fixture.ts";

const SHELLS = await availableShells();
const SH = "/bin/sh";
const PRINTED_ENABLE = "systemctl --user daemon-reload && systemctl --user enable --now pilotctl.service";

function assertOk(result: RunResult): void {
  assert.equal(result.code, 0, `installer failed:\n${result.stdout}\n${result.stderr}`);
}

function pathLine(box: InstallSandbox): string {
  return `export PATH="${box.pilotHome}/bin:$PATH" # added by the pilotctl installer`;
}

function count(text: string, line: string): number {
  return text.split("\n").filter((l) => l === line).length;
}

async function assertNothingInstalled(box: InstallSandbox): Promise<void> {
  assert.equal(await exists(box.pilotHome), false, "state directory created");
  assert.equal(await exists(box.unit), false, "unit written");
  assert.equal(await box.readHome(".profile"), "# profile\n", ".profile changed");
  assert.deepEqual(await box.calls(), []);
  assert.ok(await box.tmpIsEmpty(), "download folder left behind");
}

for (const shell of SHELLS) {
  Deno.test(`install.sh (${shell}) installs the binary, PATH lines, config and unit, and a rerun changes nothing`, async () => {
    await using box = await InstallSandbox.create();
    await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
    await Deno.writeTextFile(`${box.home}/.bashrc`, "alias ll='ls -l'"); // no trailing newline
    const env = {
      PILOT_HOSTNAME: "alice",
      PILOT_EMAIL: "a@example.com",
      PILOT_REGISTRY: "tls://reg.example.com:9000",
      PILOT_BEACON: "reg.example.com:9001",
    };

    const first = await box.run(shell, [], env);
    assertOk(first);
    assert.equal(await Deno.readTextFile(box.bin), box.fakeBinary);
    assert.equal(await mode(box.bin), 0o755);
    assert.equal(await mode(`${box.pilotHome}/bin`), 0o755);
    assert.equal(await mode(box.pilotHome), 0o700);
    assert.equal(
      await Deno.readTextFile(`${box.pilotHome}/config.json`),
      '{"registry":"tls://reg.example.com:9000","beacon":"reg.example.com:9001","hostname":"alice",' +
        '"email":"a@example.com"}\n',
    );
    assert.equal(await box.readHome(".profile"), `# profile\n${pathLine(box)}\n`);
    assert.equal(await box.readHome(".bashrc"), `alias ll='ls -l'\n${pathLine(box)}\n`);
    assert.equal(await exists(`${box.home}/.zshrc`), false, "created an rc file that did not exist");
    assert.equal(
      await Deno.readTextFile(box.unit),
      [
        "# Written by the pilotctl installer; `sh install.sh --uninstall` removes it.",
        "[Unit]",
        "Description=pilotctl node daemon",
        "Documentation=https://github.com/pilotctl/pilotctl",
        "",
        "[Service]",
        "Type=simple",
        `Environment=PILOT_HOME=${box.pilotHome}`,
        `ExecStart=${box.bin} daemon run`,
        "Restart=on-failure",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
      ].join("\n"),
    );
    assert.equal(await mode(box.unit), 0o644);
    // No user bus and no systemctl on PATH: the command is printed, nothing runs.
    assert.ok(first.stdout.includes(PRINTED_ENABLE), first.stdout);
    assert.ok(first.stdout.includes("verified pilotctl-linux-x64"), first.stdout);
    assert.ok(await box.tmpIsEmpty(), "download folder left behind");

    const profile = await box.readHome(".profile");
    const bashrc = await box.readHome(".bashrc");
    const unit = await Deno.readTextFile(box.unit);
    assertOk(await box.run(shell, [], env));
    assert.equal(await box.readHome(".profile"), profile);
    assert.equal(await box.readHome(".bashrc"), bashrc);
    assert.equal(count(bashrc, pathLine(box)), 1);
    assert.equal(await Deno.readTextFile(box.unit), unit);
    const initCall = "pilotctl init --registry tls://reg.example.com:9000 --beacon reg.example.com:9001 " +
      "--hostname alice --email a@example.com";
    assert.deepEqual(await box.calls(), [initCall, initCall]);
  });

  Deno.test(`install.sh (${shell}) rejects a checksum mismatch and installs nothing`, async () => {
    await using box = await InstallSandbox.create();
    await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
    await box.writeRelease(["pilotctl-linux-x64"], true);
    const result = await box.run(shell, []);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: checksum mismatch for pilotctl-linux-x64: expected [0-9a-f]{64}, got/m);
    assert.match(result.stderr, /nothing was installed/);
    await assertNothingInstalled(box);
  });

  Deno.test(`install.sh (${shell}) --uninstall keeps the state and --purge removes it`, async () => {
    await using box = await InstallSandbox.create();
    await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
    await Deno.writeTextFile(`${box.home}/.zshrc`, "setopt autocd\n");
    assertOk(await box.run(shell, []));
    assert.equal(count(await box.readHome(".zshrc"), pathLine(box)), 1);

    const kept = await box.run(shell, ["--uninstall"]);
    assertOk(kept);
    assert.equal(await exists(box.bin), false);
    assert.equal(await exists(`${box.pilotHome}/bin`), false);
    assert.equal(await exists(box.unit), false);
    assert.equal(await box.readHome(".profile"), "# profile\n");
    assert.equal(await box.readHome(".zshrc"), "setopt autocd\n");
    assert.equal(await Deno.readTextFile(`${box.pilotHome}/identity.json`), "identity\n");
    assert.ok(await exists(`${box.pilotHome}/config.json`));
    assert.match(kept.stdout, /kept .*\.pilot-state .*--purge/);
    // The binary was asked to stop a hand-started daemon before it was removed.
    assert.deepEqual(await box.calls(), ["pilotctl init", "pilotctl daemon stop"]);

    assertOk(await box.run(shell, []));
    const purged = await box.run(shell, ["--uninstall", "--purge"]);
    assertOk(purged);
    assert.equal(await exists(box.pilotHome), false);
    assert.equal(await box.readHome(".profile"), "# profile\n");
    assert.match(purged.stdout, /purged /);
  });
}

Deno.test("install.sh runs systemctl --user when a user bus exists, and try-restarts on upgrade", async () => {
  await using box = await InstallSandbox.create({ fakes: ["systemctl"], userBus: true });
  assertOk(await box.run(SH, []));
  assert.deepEqual(await box.calls(), [
    "pilotctl init",
    "systemctl --user daemon-reload",
    "systemctl --user enable --now pilotctl.service",
  ]);
  assertOk(await box.run(SH, []));
  assert.deepEqual((await box.calls()).slice(3), [
    "pilotctl init",
    "systemctl --user daemon-reload",
    "systemctl --user enable --now pilotctl.service",
    "systemctl --user try-restart pilotctl.service",
  ]);

  assertOk(await box.run(SH, ["--uninstall"]));
  assert.deepEqual((await box.calls()).slice(7), [
    "pilotctl daemon stop",
    "systemctl --user disable --now pilotctl.service",
    "systemctl --user daemon-reload",
  ]);
  assert.equal(await exists(box.unit), false);
});

Deno.test("install.sh prints the systemctl command when systemctl exists but there is no user bus", async () => {
  await using box = await InstallSandbox.create({ fakes: ["systemctl"] });
  const result = await box.run(SH, []);
  assertOk(result);
  assert.ok(result.stdout.includes(PRINTED_ENABLE), result.stdout);
  assert.deepEqual(await box.calls(), ["pilotctl init"]);
});

Deno.test("install.sh --no-service writes no unit and runs no systemctl", async () => {
  await using box = await InstallSandbox.create({ fakes: ["systemctl"], userBus: true });
  const result = await box.run(SH, ["--no-service"]);
  assertOk(result);
  assert.equal(await mode(box.bin), 0o755);
  assert.equal(await exists(`${box.home}/.config`), false);
  assert.deepEqual(await box.calls(), ["pilotctl init"]);
  assert.match(result.stdout, /service: skipped \(--no-service\)/);
  // No rc file existed: ~/.profile is created with the one line.
  assert.equal(await box.readHome(".profile"), `${pathLine(box)}\n`);
});

Deno.test("install.sh writes a launchd agent on macOS and prints the launchctl command without launchctl", async () => {
  await using box = await InstallSandbox.create({ artefacts: ["pilotctl-darwin-arm64"] });
  const result = await box.run(SH, [], { PILOT_INSTALL_OS: "Darwin", PILOT_INSTALL_ARCH: "arm64" });
  assertOk(result);
  const plist = await Deno.readTextFile(box.plist);
  assert.match(plist, /<key>Label<\/key>\n {2}<string>dev\.pilotctl\.daemon<\/string>/);
  assert.ok(
    plist.includes(
      `<string>${box.bin}</string>\n    <string>daemon</string>\n    <string>run</string>\n` +
        `    <string>--log-file</string>\n    <string>${box.pilotHome}/pilot.log</string>`,
    ),
    plist,
  );
  assert.ok(plist.includes(`<key>PILOT_HOME</key>\n    <string>${box.pilotHome}</string>`), plist);
  assert.ok(!plist.includes("--uninstall"), "a comment with -- is not well-formed XML");
  assert.ok(result.stdout.includes(`launchctl bootstrap gui/$(id -u) ${box.plist}`), result.stdout);
  assert.equal(await exists(box.unit), false);
  assert.equal(await exists(`${box.home}/.pilot-state/bin/pilotctl`), true);
});

Deno.test("install.sh loads the launchd agent with launchctl and unloads it on --uninstall", async () => {
  await using box = await InstallSandbox.create({ artefacts: ["pilotctl-darwin-x64"], fakes: ["launchctl"] });
  const env = { PILOT_INSTALL_OS: "Darwin", PILOT_INSTALL_ARCH: "x86_64" };
  assertOk(await box.run(SH, [], env));
  const uid = Deno.uid();
  assert.deepEqual(await box.calls(), [
    "pilotctl init",
    `launchctl bootout gui/${uid}/dev.pilotctl.daemon`,
    `launchctl bootstrap gui/${uid} ${box.plist}`,
  ]);
  assertOk(await box.run(SH, ["--uninstall"], env));
  assert.equal(await exists(box.plist), false);
  assert.deepEqual((await box.calls()).slice(3), [
    "pilotctl daemon stop",
    `launchctl bootout gui/${uid}/dev.pilotctl.daemon`,
  ]);
});

Deno.test("install.sh maps aarch64 to the arm64 artefact and accepts a file:// base", async () => {
  await using box = await InstallSandbox.create({ artefacts: ["pilotctl-linux-arm64"] });
  const result = await box.run(SH, ["--no-service"], {
    PILOT_INSTALL_ARCH: "aarch64",
    PILOT_DOWNLOAD_BASE: `file://${box.release}/`,
  });
  assertOk(result);
  assert.match(result.stdout, /downloading pilotctl-linux-arm64 from file:\/\//);
  assert.equal(await mode(box.bin), 0o755);
});

Deno.test("install.sh verifies with shasum -a 256 when sha256sum is missing", async () => {
  await using box = await InstallSandbox.create({ checksumTools: ["shasum", "perl"] });
  assertOk(await box.run(SH, ["--no-service"]));
  assert.equal(await mode(box.bin), 0o755);
});

Deno.test("install.sh refuses to install without a checksum tool", async () => {
  await using box = await InstallSandbox.create({ checksumTools: [] });
  await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
  const result = await box.run(SH, []);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: cannot verify the download: neither sha256sum nor shasum is installed/m);
  await assertNothingInstalled(box);
});

Deno.test("install.sh fails when the release has no artefact for the platform", async () => {
  await using box = await InstallSandbox.create();
  await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
  const result = await box.run(SH, [], { PILOT_INSTALL_ARCH: "arm64" });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: cannot download pilotctl-linux-arm64: .* does not exist$/m);
  await assertNothingInstalled(box);
});

Deno.test("install.sh rejects an unsupported OS or CPU before downloading anything", async () => {
  await using box = await InstallSandbox.create();
  await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
  const os = await box.run(SH, [], { PILOT_INSTALL_OS: "FreeBSD" });
  assert.equal(os.code, 1);
  assert.match(os.stderr, /^error: unsupported operating system "FreeBSD": pilotctl is released for Linux and macOS$/m);
  const win = await box.run(SH, [], { PILOT_INSTALL_OS: "MINGW64_NT-10.0" });
  assert.equal(win.code, 1);
  assert.match(win.stderr, /on Windows download pilotctl-windows-x64\.exe/);
  const arch = await box.run(SH, [], { PILOT_INSTALL_ARCH: "riscv64" });
  assert.equal(arch.code, 1);
  assert.match(
    arch.stderr,
    /^error: unsupported CPU architecture "riscv64": pilotctl is released for x86_64 and arm64$/m,
  );
  await assertNothingInstalled(box);
});

Deno.test("install.sh rejects unknown flags and --purge without --uninstall with exit 2", async () => {
  await using box = await InstallSandbox.create();
  await Deno.writeTextFile(`${box.home}/.profile`, "# profile\n");
  const unknown = await box.run(SH, ["--yes"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: unknown argument "--yes"$/m);
  const purge = await box.run(SH, ["--purge"]);
  assert.equal(purge.code, 2);
  assert.match(purge.stderr, /^error: --purge needs --uninstall$/m);
  const help = await box.run(SH, ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--uninstall/);
  await assertNothingInstalled(box);
});

Deno.test("install.sh defaults the state directory to ~/.pilot when PILOT_HOME is unset", async () => {
  await using box = await InstallSandbox.create();
  const result = await box.run(SH, ["--no-service"], { PILOT_HOME: "" });
  assertOk(result);
  assert.equal(await mode(`${box.home}/.pilot/bin/pilotctl`), 0o755);
  assert.ok((await box.readHome(".profile")).includes(`export PATH="${box.home}/.pilot/bin:$PATH"`));
});
