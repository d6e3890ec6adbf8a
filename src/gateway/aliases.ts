// Interface aliases for the gateway's local IPs (CLI.md §3.9): outside 127/8 on Linux (and for any subnet on macOS)
// each mapped IP must exist on the loopback interface before it can be listened on. Adding one needs root; the
// gateway removes the aliases it added when the mapping goes or the gateway stops, and leaves pre-existing ones alone.
import { InternalError, InvalidArgumentError, UnauthorizedError } from "../util/errors.ts";
import type { Logger } from "../log/logger.ts";
import { formatIPv4, needsAliases, type Subnet } from "./subnet.ts";

export const ALIAS_PRIVILEGE_HINT = "run with sudo, or use a 127.x subnet on Linux";

/** Adds and removes one local IP on the loopback interface. */
export interface AliasManager {
  add(ip: number): Promise<void>;
  remove(ip: number): Promise<void>;
}

/** For subnets the OS already routes to loopback. */
export const noAliases: AliasManager = {
  add: () => Promise.resolve(),
  remove: () => Promise.resolve(),
};

export interface CommandOutcome {
  readonly code: number;
  readonly stderr: string;
}

/** Runs a system command; injected so tests can check the exact argv without root. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandOutcome>;

export const runSystemCommand: CommandRunner = async (command, args) => {
  try {
    const out = await new Deno.Command(command, { args: [...args], stdin: "null", stdout: "null", stderr: "piped" })
      .output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { code: -1, stderr: err instanceof Error ? err.message : String(err) };
  }
};

interface AliasCommands {
  add(ip: string): [string, string[]];
  remove(ip: string): [string, string[]];
  /** The command's complaint when the alias is already there. */
  readonly existsText: RegExp;
}

const LINUX_COMMANDS: AliasCommands = {
  add: (ip) => ["ip", ["addr", "add", `${ip}/32`, "dev", "lo"]],
  remove: (ip) => ["ip", ["addr", "del", `${ip}/32`, "dev", "lo"]],
  existsText: /exists/i,
};

const DARWIN_COMMANDS: AliasCommands = {
  add: (ip) => ["ifconfig", ["lo0", "alias", ip, "255.255.255.255"]],
  remove: (ip) => ["ifconfig", ["lo0", "-alias", ip]],
  existsText: /exists/i,
};

function aliasError(ip: string, outcome: CommandOutcome): Error {
  if (/not permitted|permission denied|must be root/i.test(outcome.stderr)) {
    return new UnauthorizedError(`cannot add interface alias ${ip}: permission denied`, {
      hint: ALIAS_PRIVILEGE_HINT,
      detail: "alias_privilege",
    });
  }
  return new InternalError(`cannot add interface alias ${ip}: ${outcome.stderr || `exit status ${outcome.code}`}`);
}

/** Aliases on `lo` (Linux, `ip addr`) or `lo0` (macOS, `ifconfig`). */
export class LoopbackAliases implements AliasManager {
  readonly #commands: AliasCommands;
  readonly #run: CommandRunner;
  readonly #log: Logger;
  /** The aliases this gateway created, so only those are removed. */
  readonly #added = new Set<number>();

  constructor(os: typeof Deno.build.os, log: Logger, run: CommandRunner = runSystemCommand) {
    if (os === "linux") this.#commands = LINUX_COMMANDS;
    else if (os === "darwin") this.#commands = DARWIN_COMMANDS;
    else {
      throw new InvalidArgumentError(`cannot add interface aliases on ${os}: not supported`, {
        hint: "use a 127.x subnet",
      });
    }
    this.#run = run;
    this.#log = log;
  }

  async add(ip: number): Promise<void> {
    const text = formatIPv4(ip);
    const [command, args] = this.#commands.add(text);
    const outcome = await this.#run(command, args);
    if (outcome.code === 0) {
      this.#added.add(ip);
      this.#log.info("interface alias added", { ip: text });
      return;
    }
    if (this.#commands.existsText.test(outcome.stderr)) {
      this.#log.info("interface alias already present", { ip: text });
      return;
    }
    throw aliasError(text, outcome);
  }

  async remove(ip: number): Promise<void> {
    if (!this.#added.delete(ip)) return;
    const text = formatIPv4(ip);
    const [command, args] = this.#commands.remove(text);
    const outcome = await this.#run(command, args);
    if (outcome.code === 0) this.#log.info("interface alias removed", { ip: text });
    else this.#log.warn("cannot remove interface alias", { ip: text, error: outcome.stderr });
  }
}

/**
 * The alias manager a subnet needs on this OS. Where aliases are needed a non-root user is refused up front
 * (`unauthorized`), before anything is started.
 */
export function aliasManagerFor(
  subnet: Subnet,
  log: Logger,
  options: { os?: typeof Deno.build.os; uid?: number | null; run?: CommandRunner } = {},
): AliasManager {
  const os = options.os ?? Deno.build.os;
  if (!needsAliases(subnet, os)) return noAliases;
  const uid = options.uid === undefined ? Deno.uid() : options.uid;
  if (uid !== null && uid !== 0) {
    throw new UnauthorizedError(`subnet ${subnet.text} needs interface aliases, which need root`, {
      hint: ALIAS_PRIVILEGE_HINT,
      detail: "alias_privilege",
    });
  }
  return new LoopbackAliases(os, log, options.run);
}
