// NAT lab support: running `ip` / `iptables` / `conntrack` with a bounded time, naming lab namespaces by a per-run
// random prefix, and sweeping namespaces that a crashed run left behind. Nothing here touches the root namespace's
// interfaces, routes or firewall: every command either creates/deletes a `pl-` namespace or runs inside one.

import { toHex } from "../../src/util/bytes.ts";

/** Upper bound for one setup/teardown command; `ip` and `iptables` normally answer in milliseconds. */
export const LAB_COMMAND_TIMEOUT_MS = 10_000;
/** Namespaces younger than this are assumed to belong to a run still in progress and are never swept. */
export const SWEEP_MIN_AGE_MS = 10 * 60_000;
/** At most this many stale namespaces are removed per sweep call. */
export const SWEEP_MAX_NAMESPACES = 64;

const NETNS_DIR = "/run/netns";
/** `pl-` + 6 hex digits: short enough that `<prefix>-wan` fits the kernel's 15-byte interface name limit. */
const LAB_PREFIX_RE = /^pl-[0-9a-f]{6}$/;
/** The namespace names a lab creates; the sweep touches nothing else, even if it starts with `pl-`. */
export const LAB_NAMESPACE_RE = /^(pl-[0-9a-f]{6})-(pub|ra|rb|ha|hb)$/;

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin (for `iptables-restore`). */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

/** A fresh per-run prefix such as `pl-3fa9c1`. */
export function newLabPrefix(): string {
  const prefix = `pl-${toHex(crypto.getRandomValues(new Uint8Array(3)))}`;
  if (!LAB_PREFIX_RE.test(prefix)) throw new Error(`generate lab prefix: bad prefix "${prefix}"`);
  return prefix;
}

/** Runs argv to completion (killed after the timeout); never throws for a non-zero exit. */
export async function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("run command: empty argv");
  const timeoutMs = options.timeoutMs ?? LAB_COMMAND_TIMEOUT_MS;
  const child = new Deno.Command(program, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(options.stdin));
    } finally {
      await writer.close().catch(() => {});
    }
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs argv and throws, quoting the command and its stderr, unless it exits 0. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await runCommand(argv, options);
  if (r.code !== 0) {
    throw new Error(`run "${argv.join(" ")}": exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Names of all named network namespaces, optionally only those starting with `prefix`. */
export async function listNamespaces(prefix = ""): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(NETNS_DIR)) {
      if (entry.name.startsWith(prefix)) names.push(entry.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return names.sort();
}

/** Deletes a namespace; a namespace that is already gone is not an error. */
export async function deleteNamespace(name: string): Promise<void> {
  const r = await runCommand(["ip", "netns", "del", name]);
  if (r.code !== 0 && (await listNamespaces(name)).includes(name)) {
    throw new Error(`delete namespace ${name}: ${r.stderr.trim()}`);
  }
}

export interface SweepOptions {
  /** Only namespaces created at least this long ago are removed (default SWEEP_MIN_AGE_MS). */
  readonly minAgeMs?: number;
  /** At most this many are removed (default SWEEP_MAX_NAMESPACES). */
  readonly max?: number;
  /** Only this run's namespaces (a `pl-xxxxxx` prefix); default every lab run's. */
  readonly prefix?: string;
}

/**
 * Removes lab namespaces (`pl-xxxxxx-{pub,ra,rb,ha,hb}`) left by runs that died before their teardown. Deleting a
 * namespace also removes its veth ends and its iptables rules. Returns the names removed.
 */
export async function sweepStaleLabs(options: SweepOptions = {}): Promise<string[]> {
  const minAgeMs = options.minAgeMs ?? SWEEP_MIN_AGE_MS;
  const max = Math.min(options.max ?? SWEEP_MAX_NAMESPACES, SWEEP_MAX_NAMESPACES);
  const now = Date.now();
  const removed: string[] = [];
  const only = options.prefix;
  if (only !== undefined && !LAB_PREFIX_RE.test(only)) throw new Error(`sweep lab namespaces: bad prefix "${only}"`);
  for (const name of await listNamespaces(only === undefined ? "pl-" : `${only}-`)) {
    if (removed.length >= max) break;
    if (!LAB_NAMESPACE_RE.test(name)) continue;
    let createdMs: number;
    try {
      const info = await Deno.stat(`${NETNS_DIR}/${name}`);
      createdMs = (info.birthtime ?? info.mtime ?? new Date(0)).getTime();
    } catch {
      continue;
    }
    if (now - createdMs < minAgeMs) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}
