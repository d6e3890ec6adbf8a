// Sandbox for running scripts/install.sh offline: a release folder holding a FAKE pilotctl (a shell script that logs
// its arguments and implements `init` by writing config.json) with a matching SHA256SUMS, temp HOME and PILOT_HOME,
// and a PATH made only of symlinks to the tools the installer needs, so no real systemctl or launchctl can run.
import { createHash } from "node:crypto";

export const INSTALL_SH = new URL("../../scripts/install.sh", import.meta.url).pathname;

/** The tools install.sh and the fake binary call; checksum tools are added per sandbox. */
const BASE_TOOLS = [
  "awk",
  "cat",
  "chmod",
  "cp",
  "dirname",
  "grep",
  "id",
  "mkdir",
  "mktemp",
  "mv",
  "rm",
  "rmdir",
  "sed",
  "tail",
  "tr",
  "uname",
];

/** Logs `pilotctl <args>` to $FAKE_LOG; `init` writes the flags it got as config.json under $PILOT_HOME. */
const FAKE_PILOTCTL = `#!/bin/sh
printf 'pilotctl %s\\n' "$*" >>"$FAKE_LOG"
[ "\${1:-}" = init ] || exit 0
shift
mkdir -p "$PILOT_HOME"
body=""
while [ $# -ge 2 ]; do
  body="$body\${body:+,}\\"\${1#--}\\":\\"$2\\""
  shift 2
done
printf '{%s}\\n' "$body" >"$PILOT_HOME/config.json"
printf 'identity\\n' >"$PILOT_HOME/identity.json"
`;

/** Logs `<name> <args>` to $FAKE_LOG: stands in for systemctl and launchctl. */
function recorder(name: string): string {
  return `#!/bin/sh\nprintf '${name} %s\\n' "$*" >>"$FAKE_LOG"\n`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function which(tool: string): Promise<string | null> {
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    try {
      return await Deno.realPath(`${dir}/${tool}`);
    } catch {
      // not in this folder
    }
  }
  return null;
}

export async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

export interface SandboxOptions {
  /** Checksum tools on PATH; default ["sha256sum"]. */
  readonly checksumTools?: readonly string[];
  /** Put recording fakes of these on PATH ("systemctl", "launchctl"). */
  readonly fakes?: readonly string[];
  /** Create a listening socket at $XDG_RUNTIME_DIR/bus, as a logged-in systemd user session has. */
  readonly userBus?: boolean;
  /** Release artefacts besides pilotctl-linux-x64; every one is listed in SHA256SUMS. */
  readonly artefacts?: readonly string[];
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class InstallSandbox implements AsyncDisposable {
  readonly root: string;
  readonly home: string;
  readonly pilotHome: string;
  readonly release: string;
  readonly runtimeDir: string;
  readonly log: string;
  readonly #toolDir: string;
  readonly #bus: Deno.Listener | null;

  private constructor(root: string, bus: Deno.Listener | null) {
    this.root = root;
    this.home = `${root}/home`;
    this.pilotHome = `${root}/home/.pilot-state`;
    this.release = `${root}/release`;
    this.runtimeDir = `${root}/run`;
    this.log = `${root}/calls.log`;
    this.#toolDir = `${root}/tools`;
    this.#bus = bus;
  }

  static async create(options: SandboxOptions = {}): Promise<InstallSandbox> {
    const root = await Deno.makeTempDir({ prefix: "pilot-install-" });
    for (const dir of ["home", "release", "run", "tools", "tmp"]) await Deno.mkdir(`${root}/${dir}`);
    let bus: Deno.Listener | null = null;
    if (options.userBus) bus = Deno.listen({ transport: "unix", path: `${root}/run/bus` });
    const box = new InstallSandbox(root, bus);
    await box.#linkTools([...BASE_TOOLS, ...(options.checksumTools ?? ["sha256sum"])]);
    for (const fake of options.fakes ?? []) await box.#writeExecutable(`${box.#toolDir}/${fake}`, recorder(fake));
    await box.writeRelease(["pilotctl-linux-x64", ...(options.artefacts ?? [])]);
    return box;
  }

  get bin(): string {
    return `${this.pilotHome}/bin/pilotctl`;
  }

  get unit(): string {
    return `${this.home}/.config/systemd/user/pilotctl.service`;
  }

  get plist(): string {
    return `${this.home}/Library/LaunchAgents/dev.pilotctl.daemon.plist`;
  }

  get fakeBinary(): string {
    return FAKE_PILOTCTL;
  }

  /** Writes each artefact (the fake binary) and a SHA256SUMS listing them, optionally with a wrong checksum. */
  async writeRelease(names: readonly string[], corrupt = false): Promise<void> {
    let sums = "";
    for (const name of names) {
      // 0644, as a download arrives: the installer must set the mode itself.
      await Deno.writeTextFile(`${this.release}/${name}`, FAKE_PILOTCTL, { mode: 0o644 });
      await Deno.chmod(`${this.release}/${name}`, 0o644);
      const hex = corrupt ? sha256Hex("something else") : sha256Hex(FAKE_PILOTCTL);
      sums += `${hex}  ${name}\n`;
    }
    await Deno.writeTextFile(`${this.release}/SHA256SUMS`, sums);
  }

  /** Runs install.sh with `shell` in a cleared environment: HOME, PATH and the run dir are the sandbox's. */
  async run(shell: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
    const out = await new Deno.Command(shell, {
      args: [INSTALL_SH, ...args],
      clearEnv: true,
      env: {
        HOME: this.home,
        PATH: this.#toolDir,
        TMPDIR: `${this.root}/tmp`,
        XDG_RUNTIME_DIR: this.runtimeDir,
        FAKE_LOG: this.log,
        PILOT_HOME: this.pilotHome,
        PILOT_DOWNLOAD_BASE: this.release,
        PILOT_INSTALL_OS: "Linux",
        PILOT_INSTALL_ARCH: "x86_64",
        ...env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
  }

  /** The calls the fakes recorded, one `<program> <args>` per line. */
  async calls(): Promise<string[]> {
    if (!(await exists(this.log))) return [];
    return (await Deno.readTextFile(this.log)).split("\n").filter((line) => line !== "");
  }

  async readHome(name: string): Promise<string> {
    return await Deno.readTextFile(`${this.home}/${name}`);
  }

  /** Whether the temp folder given to the installer is empty again (the download dir was cleaned up). */
  async tmpIsEmpty(): Promise<boolean> {
    for await (const _ of Deno.readDir(`${this.root}/tmp`)) return false;
    return true;
  }

  async #linkTools(tools: readonly string[]): Promise<void> {
    for (const tool of tools) {
      const real = await which(tool);
      if (real === null) throw new Error(`cannot build the test PATH: ${tool} is not installed`);
      await Deno.symlink(real, `${this.#toolDir}/${tool}`);
    }
  }

  async #writeExecutable(path: string, text: string): Promise<void> {
    await Deno.writeTextFile(path, text);
    await Deno.chmod(path, 0o755);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#bus?.close();
    await Deno.remove(this.root, { recursive: true });
  }
}

/** The shells to run the installer with: `sh`, plus `dash` and `bash` when they are different programs. */
export async function availableShells(): Promise<string[]> {
  const shells: string[] = [];
  const seen = new Set<string>();
  for (const name of ["sh", "dash", "bash"]) {
    const real = await which(name);
    if (real === null || seen.has(real)) continue;
    seen.add(real);
    shells.push(name === "sh" ? "/bin/sh" : real);
  }
  return shells;
}
