// Result and error output of CLI.md §1.3–1.4: the `--json` envelopes (status first, hint always present, one line),
// the human forms (`error: …` / `hint:  …`), and the exit status of each outcome.
import { PilotError, toPilotError, UsageError } from "../util/errors.ts";
import type { OutputStream } from "./io.ts";
import type { CommandResult } from "./spec.ts";

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** The exit codes of §1.4, for `context`. */
export const EXIT_CODES: Readonly<Record<string, string>> = {
  [EXIT_OK]:
    "Success, including a stopped daemon reported by daemon status and a stream ended by a signal or --timeout.",
  [EXIT_ERROR]: "Any error that is not a usage error, including invalid values.",
  [EXIT_USAGE]: "A usage error: no command, an unknown command, subcommand or flag, a missing or extra argument, " +
    "or a flag without its value.",
};

/** `{"status":"ok","data":{…}}` */
export function okEnvelope(data: Record<string, unknown>): string {
  return JSON.stringify({ status: "ok", data });
}

/** `{"status":"error","code":"…","message":"…","hint":"…"}` */
export function errorEnvelope(err: PilotError): string {
  return JSON.stringify({ status: "error", code: err.code, message: err.message, hint: err.hint });
}

/** Usage errors exit 2, every other error 1. */
export function exitCodeFor(err: PilotError): number {
  return err instanceof UsageError || err.detail === "usage" ? EXIT_USAGE : EXIT_ERROR;
}

/** Prints a successful result in the selected mode. */
export async function writeResult(stdout: OutputStream, result: CommandResult, json: boolean): Promise<void> {
  if (result.silent) return;
  if (json) {
    await stdout.write(okEnvelope(result.data) + "\n");
    return;
  }
  const text = result.human ?? JSON.stringify(result.data, null, 2);
  if (text !== "") await stdout.write(text + "\n");
}

/** Prints any failure in the selected mode and returns its exit status; never a stack trace. */
export async function writeError(stderr: OutputStream, thrown: unknown, json: boolean): Promise<number> {
  const err = toPilotError(thrown);
  if (json) {
    await stderr.write(errorEnvelope(err) + "\n");
  } else {
    let text = `error: ${err.message}\n`;
    if (err.hint !== "") text += `hint:  ${err.hint}\n`;
    await stderr.write(text);
  }
  return exitCodeFor(err);
}
