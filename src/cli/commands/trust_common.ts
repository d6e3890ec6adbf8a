// Shared by the trust commands (CLI.md §3.5, PROTOCOL-BRIEF §6): the node-id argument with its fixed hint, the
// `node` argument sent to the daemon, and tolerant readers for the rows of `trust_list` / `trust_pending`, whose
// times may come as unix ms (`*_ms`) or already as RFC 3339 text.
import { parseNodeId } from "../../config/mod.ts";
import type { IpcJson } from "../../ipc/mod.ts";
import { InvalidArgumentError, PilotError } from "../../util/errors.ts";
import { backboneAddress } from "../daemon_client.ts";
import { rfc3339 } from "../format.ts";

export const TRUST_NODE_ID_HINT = "use a NODE ID from: pilotctl pending";
/** PROTOCOL-BRIEF §4.4: justification ≤ 1024 bytes, reasons ≤ 256 bytes (UTF-8). */
export const JUSTIFICATION_MAX_BYTES = 1024;
export const REASON_MAX_BYTES = 256;

/** `invalid node id "abc"` with hint `use a NODE ID from: pilotctl pending` (CLI.md §2). */
export function parseTrustNodeId(text: string): number {
  try {
    return parseNodeId(text);
  } catch (err) {
    if (err instanceof PilotError) throw new InvalidArgumentError(err.message, { hint: TRUST_NODE_ID_HINT });
    throw err;
  }
}

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function checkTextLimit(text: string, what: string, maxBytes: number): string {
  if (utf8Bytes(text) > maxBytes) throw new InvalidArgumentError(`${what} too long (max ${maxBytes} bytes)`);
  return text;
}

/** The node of a trust row; a row without one is dropped by the caller. */
export function rowNodeId(row: IpcJson): number | null {
  return typeof row.node_id === "number" ? row.node_id : null;
}

export function rowAddress(row: IpcJson, nodeId: number): string {
  return typeof row.address === "string" ? row.address : backboneAddress(nodeId);
}

export function rowString(row: IpcJson, key: string): string {
  return typeof row[key] === "string" ? row[key] as string : "";
}

/** `received_at`: RFC 3339 text as given, or from `received_at` / `received_at_ms` in unix ms; null when absent. */
export function rowTime(row: IpcJson, name: string, ...aliases: string[]): string | null {
  for (const key of [name, ...aliases]) {
    const value = row[key];
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number" && value > 0) return rfc3339(value);
    const ms = row[`${key}_ms`];
    if (typeof ms === "number" && ms > 0) return rfc3339(ms);
  }
  return null;
}
