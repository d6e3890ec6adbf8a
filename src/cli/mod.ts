// Public face of cli/: run(argv, io, env) and what commands and tests need around it (CLI.md §1–3).
export { run } from "./run.ts";
export { COMMAND_TABLE } from "./command_table.ts";
export type { ArgSpec, CommandContext, CommandResult, CommandSpec, CommandTable, FlagSpec, FlagType } from "./spec.ts";
export { ArgValues, FlagValues } from "./parsed.ts";
export type { FlagSource, RawFlagValue } from "./parsed.ts";
export { parseArgv } from "./parse.ts";
export type { ParsedArgv, ParseOutcome } from "./parse.ts";
export { denoIo, MemoryIo, MemoryOutput } from "./io.ts";
export type { InputStream, Io, OutputStream } from "./io.ts";
export { errorEnvelope, EXIT_ERROR, EXIT_OK, EXIT_USAGE, exitCodeFor, okEnvelope } from "./output.ts";
export { formatClock, formatSize, formatTable, formatTime, rfc3339 } from "./format.ts";
export { buildInfo, PILOTCTL_VERSION } from "./build_info.ts";
export { classifyTarget } from "./target.ts";
export type { Target } from "./target.ts";
