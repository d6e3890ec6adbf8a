// Pure planning for `deno task build`: the release targets, the exact `deno compile` arguments (permissions and
// unstable flags the program needs), artefact names, and where a pre-downloaded runtime must be placed so that
// `deno compile` finds it without the network (DENORT_DIR).

export interface BuildTarget {
  /** Rust-style triple passed to `deno compile --target`. */
  readonly triple: string;
  /** Our artefact suffix: `pilotctl-<os>-<arch>[.exe]`. */
  readonly name: string;
  readonly windows: boolean;
}

export const BUILD_TARGETS: readonly BuildTarget[] = [
  { triple: "x86_64-unknown-linux-gnu", name: "linux-x64", windows: false },
  { triple: "aarch64-unknown-linux-gnu", name: "linux-arm64", windows: false },
  { triple: "x86_64-apple-darwin", name: "darwin-x64", windows: false },
  { triple: "aarch64-apple-darwin", name: "darwin-arm64", windows: false },
  { triple: "x86_64-pc-windows-msvc", name: "windows-x64", windows: true },
];

/**
 * What the program touches: sockets (net), its home and files it sends (read/write), settings (env), `daemon start`
 * and `gateway start` re-running the binary (run), OS and hostname facts for `version` and `info` (sys), and the
 * system's libcrypto and libc through FFI (the AES-GCM accelerator and the UDP socket buffers; both fall back when
 * absent).
 */
export const COMPILE_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
  "--allow-ffi",
];

/** Unstable APIs in use: `Deno.listenDatagram` (UDP). Mirrors deno.json "unstable". */
export const COMPILE_UNSTABLE: readonly string[] = ["--unstable-net"];

export function artefactName(target: BuildTarget): string {
  return `pilotctl-${target.name}${target.windows ? ".exe" : ""}`;
}

export function compileArgs(target: BuildTarget, outDir: string, entry = "main.ts"): string[] {
  return [
    "compile",
    ...COMPILE_PERMISSIONS,
    ...COMPILE_UNSTABLE,
    "--target",
    target.triple,
    "--output",
    `${outDir}/${artefactName(target)}`,
    entry,
  ];
}

// Characters a POSIX shell takes literally in an unquoted word.
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell: as is when safe, else single-quoted (a `'` inside becomes `'\''`). */
export function shellQuote(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** The command line `deno task build --dry-run` prints for one target, ready to paste into a shell. */
export function compileCommandLine(args: readonly string[], deno = "deno"): string {
  return [deno, ...args].map(shellQuote).join(" ");
}

/** The runtime archive `deno compile --target <triple>` looks for, as published for each Deno release. */
export function denortArchiveName(target: BuildTarget): string {
  return `denort-${target.triple}.zip`;
}

/** Where `deno compile` looks for the archive before downloading it: `<DENO_DIR>/dl/release/v<version>/`. */
export function denortCacheDir(denoDir: string, denoVersion: string): string {
  return `${denoDir}/dl/release/v${denoVersion}`;
}

export function selectTargets(names: readonly string[]): BuildTarget[] {
  if (names.length === 0) return [...BUILD_TARGETS];
  return names.map((name) => {
    const target = BUILD_TARGETS.find((t) => t.name === name || t.triple === name);
    if (!target) {
      throw new Error(`unknown target "${name}" (use ${BUILD_TARGETS.map((t) => t.name).join(", ")})`);
    }
    return target;
  });
}

/** `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <name>` per line. */
export function sha256SumsText(entries: readonly { name: string; sha256: string }[]): string {
  return entries.map((e) => `${e.sha256}  ${e.name}\n`).join("");
}
