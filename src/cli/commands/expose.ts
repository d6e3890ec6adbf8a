// `pilotctl expose <port> --to <host:port>` and `pilotctl expose` (CLI.md §3.9): asks the daemon to serve a local TCP
// service on a pilot port (PROTOCOL-BRIEF §8.3 `expose`), or lists the exposed ports with their open connections.
// A port without --to is a usage error (exit 2); the daemon checks --to and refuses built-in or bound ports.
import { UsageError } from "../../util/errors.ts";
import { withDaemon } from "../daemon_client.ts";
import { formatTable } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { parseBindPort } from "./options.ts";

export interface ExposedRow {
  readonly port: number;
  readonly to: string;
  readonly connections: number;
}

export function exposedTable(rows: readonly ExposedRow[]): string {
  return formatTable(["PORT", "TO", "CONNS"], rows.map((r) => [r.port, r.to, r.connections]), "No exposed ports");
}

async function listExposed(ctx: CommandContext): Promise<CommandResult> {
  const { exposed } = await withDaemon(ctx, (session) => session.request("expose_list", {}));
  const rows = exposed.map((e) => ({ port: e.port, to: e.to, connections: e.connections }));
  return { data: { exposed: rows, total: rows.length }, human: exposedTable(rows) };
}

export async function runExpose(ctx: CommandContext): Promise<CommandResult> {
  const portText = ctx.args.get("port");
  const to = ctx.flags.string("to");
  if (portText === undefined) {
    if (to !== undefined) throw new UsageError("missing argument <port>", "expose");
    return await listExposed(ctx);
  }
  if (to === undefined) throw new UsageError("missing flag --to", "expose");
  const port = parseBindPort(portText);
  const result = await withDaemon(ctx, (session) => session.request("expose", { port, to }));
  const data = { port: result.port, to: result.to };
  return { data, human: `Exposed pilot port ${data.port} -> ${data.to}` };
}

export const exposeCommand: CommandSpec = {
  name: "expose",
  summary: "Serve a local TCP service on a pilot port",
  description: "Serves a local TCP service on a pilot port until unexpose or the daemon stops. Each stream from a " +
    "trusted peer becomes a TCP connection to --to; a bare port means 127.0.0.1:<port>. With no arguments, lists " +
    "the exposed ports.",
  args: [{ name: "port", description: "Pilot port to serve (not 7, 444, 1001, 1002 or 1003)", required: false }],
  flags: [{
    name: "to",
    type: "string",
    valueName: "host:port",
    description: "The local TCP service: host:port, or a port for 127.0.0.1",
  }],
  returns: ["port", "to", "exposed", "total"],
  needsDaemon: true,
  run: runExpose,
};
