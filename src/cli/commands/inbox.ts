// `pilotctl inbox [--clear]` (CLI.md §3.7): the messages in <home>/inbox, oldest first, read straight from the files
// (no daemon needed). A corrupt message file is skipped with a warning on stderr (human mode), never fatal.
import { pilotPaths, resolveHome } from "../../config/mod.ts";
import { type InboxMessage, InboxStore } from "../../daemon/services/mailbox_inbox.ts";
import { formatTime } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

/** `[2025-06-01 12:00:04] 0:0000.0000.0100 (alice) text: hello bob` */
export function inboxLine(m: InboxMessage): string {
  const who = m.hostname === "" ? m.from : `${m.from} (${m.hostname})`;
  return `[${formatTime(m.received_at)}] ${who} ${m.type}: ${m.data}`;
}

export async function runInbox(ctx: CommandContext): Promise<CommandResult> {
  const dir = pilotPaths(resolveHome(ctx.env)).inboxDir;
  const store = new InboxStore(dir);
  if (ctx.flags.boolean("clear")) {
    const cleared = await store.clear();
    return { data: { cleared }, human: `Cleared ${cleared} messages` };
  }
  const warnings: string[] = [];
  const listed = await store.list((path, reason) =>
    warnings.push(`warning: skipping corrupt message ${path}: ${reason}`)
  );
  if (!ctx.json) { for (const w of warnings) await ctx.io.stderr.write(w + "\n"); }
  const messages = listed.map((m) => ({
    id: m.id,
    from: m.from,
    hostname: m.hostname,
    type: m.type,
    data: m.data,
    encoding: m.encoding,
    bytes: m.bytes,
    received_at: m.received_at,
    broadcast: m.broadcast,
  }));
  const human = listed.length === 0 ? "Inbox is empty" : listed.map(inboxLine).join("\n");
  return { data: { messages, total: messages.length, dir }, human };
}

export const inboxCommand: CommandSpec = {
  name: "inbox",
  summary: "List received messages",
  description: "Lists the messages in <home>/inbox, oldest first; --clear deletes them all. Works without a " +
    "daemon. A corrupt message file is skipped with a warning.",
  args: [],
  flags: [{ name: "clear", type: "boolean", description: "Delete every message" }],
  returns: ["messages", "total", "dir", "cleared"],
  needsDaemon: false,
  run: runInbox,
};
