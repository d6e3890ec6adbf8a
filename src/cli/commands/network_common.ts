// The `<network>` argument of the network commands (CLI.md §3.4): a decimal id (0 = the backbone, 65535 reserved)
// or a network name, turned into an id through `network_list` when a command needs one.
import { parseNetworkName } from "../../config/mod.ts";
import type { IpcJson } from "../../ipc/mod.ts";
import { InvalidArgumentError, NotFoundError } from "../../util/errors.ts";
import { NETWORK_BACKBONE, NETWORK_RESERVED } from "../../wire/mod.ts";
import type { DaemonSession } from "../daemon_client.ts";

export type NetworkRef = { readonly id: number; readonly name?: undefined } | {
  readonly id?: undefined;
  readonly name: string;
};

export const BACKBONE = NETWORK_BACKBONE;

export function parseNetworkRef(text: string): NetworkRef {
  if (/^\d+$/.test(text)) {
    const id = text.length <= 5 ? Number(text) : NaN;
    if (!(id >= 0 && id < NETWORK_RESERVED)) throw new InvalidArgumentError(`invalid network "${text}"`);
    return { id };
  }
  return { name: parseNetworkName(text) };
}

/** One row of `network_list` as the registry sends it. */
export interface ListedNetwork {
  readonly network_id: number;
  readonly name: string;
  readonly join_rule: string;
  readonly members: number;
  readonly member: boolean;
  readonly admin: boolean;
  readonly address: string | null;
}

export async function listNetworks(session: DaemonSession): Promise<ListedNetwork[]> {
  const result = await session.request("network_list", {});
  return ((result.networks ?? []) as IpcJson[]).map((n) => ({
    network_id: n.network_id as number,
    name: typeof n.name === "string" ? n.name : "",
    join_rule: typeof n.join_rule === "string" ? n.join_rule : "",
    members: typeof n.members === "number" ? n.members : 0,
    member: n.member === true,
    admin: n.admin === true,
    address: n.member === true && typeof n.address === "string" ? n.address : null,
  }));
}

/** The id and (when known) name of the network a ref names; an unknown name is `not_found`. */
export async function resolveNetwork(
  session: DaemonSession,
  ref: NetworkRef,
): Promise<{ id: number; name: string | null }> {
  if (ref.id !== undefined) return { id: ref.id, name: ref.id === BACKBONE ? "backbone" : null };
  const found = (await listNetworks(session)).find((n) => n.name === ref.name);
  if (found === undefined) {
    throw new NotFoundError(`network "${ref.name}" not found`, { hint: "pilotctl network list", detail: "network" });
  }
  return { id: found.network_id, name: found.name };
}

/** The name of a network id, best effort (null when the list is unavailable or lacks it). */
export async function networkName(session: DaemonSession, id: number): Promise<string | null> {
  try {
    return (await listNetworks(session)).find((n) => n.network_id === id)?.name ?? null;
  } catch {
    return null;
  }
}
