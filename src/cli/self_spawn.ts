// Re-running this program as a detached child (CLI.md §1.1: `daemon start` and `gateway start` spawn their `run` mode).
// A compiled binary re-executes itself with the CLI arguments only; under `deno run` the child is
// `deno run -A [--config <deno.json>] <main.ts> …`, so it sees the same permissions, import map and unstable flags.

/** The program and the arguments that precede the CLI arguments. */
export interface SelfInvocation {
  readonly command: string;
  readonly prefixArgs: readonly string[];
}

/** What the child's stdio is connected to; `null` discards, `piped` lets the parent read the ready line. */
export type SpawnStdio = "null" | "piped";

export interface SpawnOptions {
  readonly stdout?: SpawnStdio;
  readonly stderr?: SpawnStdio;
  /** Extra or replaced environment variables; the rest is inherited. */
  readonly env?: Record<string, string>;
  /** Overrides how this program is re-run (tests, wrappers). */
  readonly invocation?: SelfInvocation;
}

function fileUrlToPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  // file:///C:/x/main.ts has the pathname /C:/x/main.ts
  return Deno.build.os === "windows" && /^\/[A-Za-z]:/.test(path) ? path.slice(1) : path;
}

/** How to run this program again: the binary itself, or `deno run -A` on the entry module. */
export function selfInvocation(): SelfInvocation {
  if (Deno.build.standalone) return { command: Deno.execPath(), prefixArgs: [] };
  const main = Deno.mainModule;
  if (!main.startsWith("file:")) return { command: Deno.execPath(), prefixArgs: ["run", "-A", main] };
  const mainPath = fileUrlToPath(main);
  const dir = mainPath.slice(0, mainPath.lastIndexOf("/") + 1);
  // The entry's own deno.json carries the import map and unstable flags, whatever the caller's working directory.
  let config: string[] = [];
  try {
    if (Deno.statSync(`${dir}deno.json`).isFile) config = ["--config", `${dir}deno.json`];
  } catch {
    // no config file next to the entry module: rely on discovery
  }
  return { command: Deno.execPath(), prefixArgs: ["run", "-A", ...config, mainPath] };
}

/**
 * Starts `pilotctl <args…>` in its own session (detached from the caller's terminal and process group) with stdin
 * closed. The caller reads piped output if it asked for it, then calls `unref()` so it can exit first.
 */
export function spawnSelf(args: readonly string[], options: SpawnOptions = {}): Deno.ChildProcess {
  const self = options.invocation ?? selfInvocation();
  return new Deno.Command(self.command, {
    args: [...self.prefixArgs, ...args],
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr ?? "null",
    env: options.env,
    detached: true,
  }).spawn();
}
