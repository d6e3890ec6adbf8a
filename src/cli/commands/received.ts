// `pilotctl received [--clear]` (CLI.md §3.7): the files in <home>/received, read straight from the directory (no
// daemon needed). Transfers in progress (`.partial-*`) are neither listed nor cleared.
import { pilotPaths, resolveHome } from "../../config/mod.ts";
import { ReceivedStore } from "../../daemon/services/mailbox_received.ts";
import { formatSize, formatTable, formatTime } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export async function runReceived(ctx: CommandContext): Promise<CommandResult> {
  const dir = pilotPaths(resolveHome(ctx.env)).receivedDir;
  const store = new ReceivedStore(dir);
  if (ctx.flags.boolean("clear")) {
    const cleared = await store.clear();
    return { data: { cleared }, human: `Cleared ${cleared} files` };
  }
  const files = (await store.list()).map((f) => ({ name: f.name, bytes: f.bytes, modified: f.modified, path: f.path }));
  const human = formatTable(
    ["Name", "Size", "Modified"],
    files.map((f) => [f.name, formatSize(f.bytes), formatTime(f.modified)]),
    "No files received",
  );
  return { data: { files, total: files.length, dir }, human };
}

export const receivedCommand: CommandSpec = {
  name: "received",
  summary: "List received files",
  description: "Lists the files in <home>/received; --clear deletes them all. Works without a daemon.",
  args: [],
  flags: [{ name: "clear", type: "boolean", description: "Delete every received file" }],
  returns: ["files", "total", "dir", "cleared"],
  needsDaemon: false,
  run: runReceived,
};
