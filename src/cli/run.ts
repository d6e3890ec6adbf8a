// The CLI entry: argv → parse (usage errors) → typed values (value errors) → the command's handler → output and
// exit status (CLI.md §1.2–1.4). Pure enough to be called in-process: all I/O goes through `io` and `env`.
import type { Env } from "../config/mod.ts";
import { toPilotError, UsageError } from "../util/errors.ts";
import { PILOTCTL_VERSION } from "./build_info.ts";
import { COMMAND_TABLE } from "./command_table.ts";
import type { Io } from "./io.ts";
import { EXIT_OK, EXIT_USAGE, exitCodeFor, writeError, writeResult } from "./output.ts";
import { parseArgv } from "./parse.ts";
import { ArgValues, FlagValues } from "./parsed.ts";
import type { CommandTable } from "./spec.ts";
import { usageFor } from "./usage.ts";

/** Runs one invocation and returns its exit status; nothing escapes as an exception. */
export async function run(
  argv: readonly string[],
  io: Io,
  env: Env,
  table: CommandTable = COMMAND_TABLE,
): Promise<number> {
  // `--json` is known before anything can fail, so even a usage error gets the right form.
  const json = argv.includes("--json");
  try {
    const { outcome } = parseArgv(argv, table);
    switch (outcome.kind) {
      case "none":
        if (json) return await writeError(io.stderr, new UsageError("missing command"), true);
        await io.stderr.write(usageFor(table, null, PILOTCTL_VERSION) + "\n");
        return EXIT_USAGE;
      case "help": {
        const usage = usageFor(table, outcome.topic, PILOTCTL_VERSION);
        await writeResult(io.stdout, { data: { command: outcome.topic ?? "", usage }, human: usage }, json);
        return EXIT_OK;
      }
      case "command": {
        const { spec } = outcome;
        const ctx = {
          spec,
          args: new ArgValues(spec.args, outcome.args),
          flags: new FlagValues(spec.flags, outcome.flags, env),
          json,
          io,
          env,
          table,
        };
        const result = await spec.run(ctx);
        await writeResult(io.stdout, result, json);
        return result.exitCode ?? EXIT_OK;
      }
    }
  } catch (err) {
    return await writeErrorSafely(io, err, json);
  }
}

/** Even a failing stderr must not turn into an uncaught exception. */
async function writeErrorSafely(io: Io, err: unknown, json: boolean): Promise<number> {
  try {
    return await writeError(io.stderr, err, json);
  } catch {
    return exitCodeFor(toPilotError(err));
  }
}
