// Names the daemon accepts in IPC arguments (CLI.md §1.5 target resolution): an address is used as given, all digits
// is a backbone node id, anything else a hostname the registry resolves (our own hostname is always us). Trust
// commands take a node: an address or a decimal id.
import type { RegistryClient } from "../registry/mod.ts";
import { InvalidArgumentError, NotFoundError, toPilotError } from "../util/errors.ts";
import { type Addr, formatAddr, NETWORK_BACKBONE, NODE_MAX, parseAddr } from "../wire/mod.ts";

export const NODE_ID_HINT = "use a NODE ID from: pilotctl pending";
const NAME_MAX_CHARS = 253;

export interface ResolvedName {
  readonly addr: Addr;
  readonly hostname?: string;
  /** Known when the registry was asked. */
  readonly public?: boolean;
}

export interface TargetDeps {
  readonly selfNode: number;
  readonly selfHostname: () => string;
  readonly registry: () => RegistryClient;
}

/** `cannot find "bob": unknown hostname or no mutual trust` (CLI.md §2). */
export function hostnameNotFound(hostname: string): NotFoundError {
  return new NotFoundError(`cannot find "${hostname}": unknown hostname or no mutual trust`, {
    hint: `get the node's address from its owner, then: pilotctl handshake <address> "<reason>"`,
    detail: "hostname",
  });
}

function nodeIdOf(text: string): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= NODE_MAX ? id : null;
}

/** Resolves an address, decimal node id or hostname. */
export async function resolveName(deps: TargetDeps, value: unknown): Promise<ResolvedName> {
  if (typeof value !== "string" || value === "" || value.length > NAME_MAX_CHARS) {
    throw new InvalidArgumentError(`invalid target ${JSON.stringify(value) ?? String(value)}`, {
      detail: "bad_address",
    });
  }
  if (value.includes(":")) return { addr: parseAddr(value) };
  if (/^[0-9]+$/.test(value)) {
    const id = nodeIdOf(value);
    if (id === null) throw new InvalidArgumentError(`invalid node id "${value}"`, { detail: "bad_address" });
    return { addr: { network: NETWORK_BACKBONE, node: id } };
  }
  const hostname = value.toLowerCase();
  if (hostname === deps.selfHostname()) {
    return { addr: { network: NETWORK_BACKBONE, node: deps.selfNode }, hostname };
  }
  try {
    const found = await deps.registry().resolveHostname(hostname);
    return { addr: parseAddr(found.address), hostname: found.hostname, public: found.public };
  } catch (err) {
    if (toPilotError(err).code === "not_found") throw hostnameNotFound(value);
    throw err;
  }
}

/** The node of a trust command: an address or a decimal node id. */
export function parseNodeArg(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= NODE_MAX) return value;
  const text = typeof value === "string" ? value : String(value);
  if (text.includes(":")) {
    try {
      return parseAddr(text).node;
    } catch (err) {
      throw new InvalidArgumentError(toPilotError(err).message, { hint: NODE_ID_HINT, detail: "bad_address" });
    }
  }
  const id = nodeIdOf(text);
  if (id === null) throw new InvalidArgumentError(`invalid node id "${text}"`, { hint: NODE_ID_HINT });
  return id;
}

/** Backbone address text of a node. */
export function backbone(node: number): string {
  return formatAddr({ network: NETWORK_BACKBONE, node });
}
