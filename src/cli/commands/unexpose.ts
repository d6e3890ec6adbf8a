// `pilotctl unexpose <port>` (CLI.md §3.9): stops serving an exposed pilot port (PROTOCOL-BRIEF §8.3 `unexpose`);
// its open connections are reset. Not exposed: not_found.
import { parsePort } from "../../config/mod.ts";
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export async function runUnexpose(ctx: CommandContext): Promise<CommandResult> {
  const port = parsePort(ctx.args.require("port"));
  const result = await withDaemon(ctx, (session) => session.request("unexpose", { port }));
  return { data: { port: result.port }, human: `Stopped exposing pilot port ${result.port}` };
}

export const unexposeCommand: CommandSpec = {
  name: "unexpose",
  summary: "Stop serving an exposed pilot port",
  description: "Stops serving a port exposed with pilotctl expose; its open connections are reset.",
  args: [{ name: "port", description: "An exposed pilot port", required: true }],
  flags: [],
  returns: ["port"],
  needsDaemon: true,
  run: runUnexpose,
};
