// Test support: runs the CLI in-process with captured stdio and an injected environment.
import { MemoryIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import type { CommandTable } from "../../src/cli/spec.ts";

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  argv: readonly string[],
  env: Record<string, string> = {},
  options: { table?: CommandTable; stdin?: string; stdinIsTerminal?: boolean } = {},
): Promise<CliOutcome> {
  const io = new MemoryIo({ stdin: options.stdin, stdinIsTerminal: options.stdinIsTerminal });
  const code = await run(argv, io, new Map(Object.entries(env)), options.table);
  return { code, stdout: io.stdout.text(), stderr: io.stderr.text() };
}

/** A fresh state directory for one test; removed by the returned disposer. */
export async function tempHome(): Promise<{ dir: string; env: Record<string, string> } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "pilotctl-test-" });
  const dir = `${root}/home`;
  return {
    dir,
    env: { HOME: root, PILOT_HOME: dir },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** The exact usage-error envelope for `--json`. */
export function usageEnvelope(message: string, hint: string): string {
  return JSON.stringify({ status: "error", code: "invalid_argument", message, hint }) + "\n";
}
