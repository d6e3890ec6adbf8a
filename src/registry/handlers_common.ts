// Small pieces shared by the registry handlers: handler signatures, address text, the uniform `not_found` replies
// (unknown and invisible look the same, §4.3) and mapping store conflicts to `already_exists`.
import { formatAddr, NETWORK_BACKBONE } from "../wire/mod.ts";
import type { AuthedRequest, ConnInfo, RegistryContext } from "./context.ts";
import { RegistryError } from "./protocol.ts";
import { StoreConflictError } from "./store.ts";
import type { Json } from "./validation.ts";

/** A handler for a request authenticated by node signature; returns the `_ok` fields. */
export type SignedHandler = (ctx: RegistryContext, req: AuthedRequest) => Promise<Json>;
/** A handler for `hello`, `register_begin`, `register`. */
export type OpenHandler = (ctx: RegistryContext, obj: Json, conn: ConnInfo) => Promise<Json>;

export function addressOf(nodeId: number, network = NETWORK_BACKBONE): string {
  return formatAddr({ network, node: nodeId });
}

export function nodeNotFound(nodeId: number, field: string): RegistryError {
  return new RegistryError("not_found", `node ${addressOf(nodeId)} not found or not visible to you`, { field });
}

export function networkNotFound(ref: number | string, field: string): RegistryError {
  const what = typeof ref === "number" ? `network ${ref}` : `network "${ref}"`;
  return new RegistryError("not_found", `${what} not found`, { field });
}

/** Runs a store call, turning a lost UNIQUE race into the same reply the handler's own check gives. */
export async function mapConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreConflictError) {
      if (err.constraint === "hostname") {
        throw new RegistryError("already_exists", "hostname is already taken", { field: "hostname" });
      }
      if (err.constraint === "network_name") {
        throw new RegistryError("already_exists", "network name is already taken", { field: "name" });
      }
      if (err.constraint === "public_key") {
        throw new RegistryError("already_exists", "public key is already registered", { field: "public_key" });
      }
      throw new RegistryError("already_exists", "the record already exists");
    }
    throw err;
  }
}
