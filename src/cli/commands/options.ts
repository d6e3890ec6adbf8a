// Flags and values shared by the daemon-backed commands (CLI.md §1.5, §3.6, §3.8): `--timeout`, `--count`, the
// ports that `recv` and `listen` may bind, and the messages of their failures.
import { parsePort } from "../../config/mod.ts";
import { AlreadyExistsError, InvalidArgumentError } from "../../util/errors.ts";
import type { CommandContext, FlagSpec } from "../spec.ts";

/** Well-known pilot ports served by the daemon itself (CLI.md §3): never bindable by `recv` and `listen`. */
export const BUILTIN_PORTS: readonly number[] = [7, 444, 1001, 1002, 1003];
/** The echo service (PROTOCOL-BRIEF §9.1). */
export const ECHO_PORT = 7;
/** The stdio convention, `connect`'s default port. */
export const STDIO_PORT = 1000;

export function timeoutFlag(defaultText: string, description = "Bound on the whole command"): FlagSpec {
  return { name: "timeout", type: "duration", default: defaultText, valueName: "duration", description };
}

export function countFlag(defaultValue: number, description: string): FlagSpec {
  return { name: "count", type: "int", default: defaultValue, valueName: "n", description };
}

/** `--count` of at least 1. */
export function positiveCount(ctx: CommandContext): number {
  const count = ctx.flags.int("count") ?? 1;
  if (count < 1) throw new InvalidArgumentError("--count must be at least 1");
  return count;
}

/** `--timeout` where 0 has no special meaning: it must be positive. */
export function positiveTimeoutMs(ctx: CommandContext): number {
  const ms = ctx.flags.durationMs("timeout") ?? 0;
  if (ms <= 0) throw new InvalidArgumentError("--timeout must be greater than 0");
  return ms;
}

/** `--timeout` where 0 means no limit (`listen`): null then. */
export function optionalTimeoutMs(ctx: CommandContext): number | null {
  const ms = ctx.flags.durationMs("timeout") ?? 0;
  return ms === 0 ? null : ms;
}

export function portBoundError(port: number): AlreadyExistsError {
  return new AlreadyExistsError(`port ${port} is already bound`, { detail: "port_bound" });
}

/** A port for `recv` / `listen`: 1–65535 and not a built-in service. */
export function parseBindPort(text: string): number {
  const port = parsePort(text);
  if (BUILTIN_PORTS.includes(port)) throw portBoundError(port);
  return port;
}
