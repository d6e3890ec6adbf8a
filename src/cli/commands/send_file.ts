// `pilotctl send-file <target> <path> [--timeout 10m]` (CLI.md §3.6, PROTOCOL-BRIEF §9.2): hashes the file, then
// streams it as one FILE frame over port 1001; the receiver checks the SHA-256, stores it in received/ and ACKs.
// Human mode shows progress on stderr: `report.pdf  42%  1.2 MB / 2.9 MB  850 KB/s`.
import { createHash } from "node:crypto";
import { maxFileContentBytes } from "../../daemon/services/data_exchange_codec.ts";
import { toHex } from "../../util/bytes.ts";
import { InvalidArgumentError, NotFoundError } from "../../util/errors.ts";
import { parseTarget, withDaemon } from "../daemon_client.ts";
import { formatSize } from "../format.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";
import { positiveTimeoutMs, timeoutFlag } from "./options.ts";
import { ackError, withExchange } from "./send_message.ts";

/** A progress line each time this much more of the file is sent. */
const PROGRESS_STEP_PCT = 10;
const FILE_NAME_MAX_BYTES = 255;

export interface LocalFile {
  readonly path: string;
  /** The last path component: what the receiver is told (it sanitises it again). */
  readonly name: string;
  readonly size: number;
}

/** Checks `path`: missing is `no such file: <path>`, a directory or anything but a file is invalid_argument. */
export async function inspectFile(path: string): Promise<LocalFile> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NotFoundError(`no such file: ${path}`, { detail: "file" });
    throw err;
  }
  if (info.isDirectory) throw new InvalidArgumentError(`${path} is a directory (send one file at a time)`);
  if (!info.isFile) throw new InvalidArgumentError(`${path} is not a regular file`);
  const name = path.split(/[/\\]/).filter((p) => p !== "").pop() ?? path;
  if (new TextEncoder().encode(name).length > FILE_NAME_MAX_BYTES) {
    throw new InvalidArgumentError(`file name too long: ${name} (max ${FILE_NAME_MAX_BYTES} bytes)`);
  }
  if (info.size > maxFileContentBytes(name)) {
    throw new InvalidArgumentError(`file too large: ${info.size} bytes (max ${maxFileContentBytes(name)})`);
  }
  return { path, name, size: info.size };
}

/** SHA-256 of the file, streamed. */
export async function hashFile(path: string): Promise<Uint8Array> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return new Uint8Array(hash.digest());
}

/** `report.pdf  42%  1.2 MB / 2.9 MB  850 KB/s` */
export function progressLine(name: string, sent: number, total: number, elapsedMs: number): string {
  const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
  const rate = elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0;
  return `${name}  ${pct}%  ${formatSize(sent)} / ${formatSize(total)}  ${formatSize(rate)}/s`;
}

export async function runSendFile(ctx: CommandContext): Promise<CommandResult> {
  const given = parseTarget(ctx.args.require("target"));
  const timeoutMs = positiveTimeoutMs(ctx);
  const file = await inspectFile(ctx.args.require("path"));
  const sha256 = await hashFile(file.path);
  return await withDaemon(ctx, async (session) => {
    const target = await session.resolveTarget(given);
    let nextPct = 0;
    let notes = Promise.resolve();
    const start = performance.now();
    const onProgress = (sent: number) => {
      const pct = Math.floor((sent / file.size) * 100);
      if (pct < nextPct) return;
      nextPct = pct - (pct % PROGRESS_STEP_PCT) + PROGRESS_STEP_PCT;
      const line = progressLine(file.name, sent, file.size, performance.now() - start);
      notes = notes.then(() => session.note(line)).catch(() => {});
    };
    const ack = await withExchange(session, target, async (sender) => {
      const handle = await Deno.open(file.path, { read: true });
      return await sender.sendFile({ name: file.name, size: file.size, sha256, content: handle.readable }, onProgress);
    });
    await notes;
    if (ack.status !== "ok") throw ackError(ack, target.address);
    const data = {
      filename: file.name,
      bytes: file.size,
      sha256: toHex(sha256),
      destination: target.address,
      ack: true,
    };
    return { data, human: `Sent ${file.name} (${formatSize(file.size)}) to ${target.address}, acknowledged` };
  }, timeoutMs);
}

export const sendFileCommand: CommandSpec = {
  name: "send-file",
  summary: "Send a file to a node",
  description: "Sends a file over port 1001. The receiver checks its SHA-256, then stores it as " +
    "received/<sanitised name> (a collision adds -1, -2, ...) and acknowledges. Human mode shows progress on stderr.",
  args: [
    { name: "target", description: "Address, node ID or hostname", required: true },
    { name: "path", description: "The file to send", required: true },
  ],
  flags: [timeoutFlag("10m")],
  returns: ["filename", "bytes", "sha256", "destination", "ack"],
  needsDaemon: true,
  run: runSendFile,
};
