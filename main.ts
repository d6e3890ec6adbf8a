// pilotctl entry point: runs the CLI with the process's arguments, stdio and environment, and exits with its status.
import { denoIo, run } from "./src/cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await run(Deno.args, denoIo(), Deno.env));
}
