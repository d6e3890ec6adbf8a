// One registry request from frame body to reply (PROTOCOL-BRIEF §4.1, §4.2, §4.4): bounded JSON parse, `id` echo,
// type lookup in the catalogue, node authentication and per-node rate limits for signed types, then the handler.
// Every failure becomes an `error` reply with a specific code; nothing escapes to the connection loop.
import { parseJsonBody } from "../wire/mod.ts";
import { PilotError } from "../util/errors.ts";
import { authenticateSigned } from "./auth.ts";
import type { ConnInfo, RegistryContext } from "./context.ts";
import type { OpenHandler, SignedHandler } from "./handlers_common.ts";
import {
  findByTag,
  getKeys,
  lookup,
  resolveHostname,
  setHostname,
  setTags,
  setVisibility,
} from "./handlers_directory.ts";
import {
  networkCreate,
  networkInvite,
  networkJoin,
  networkLeave,
  networkList,
  networkMembers,
} from "./handlers_networks.ts";
import { deregister, heartbeat, hello, register, registerBegin, rotateKey } from "./handlers_nodes.ts";
import { punch } from "./handlers_punch.ts";
import {
  handshakePoll,
  handshakeRequest,
  handshakeRespond,
  listTrust,
  reportTrust,
  revokeTrust,
} from "./handlers_trust.ts";
import { errorReply, RegistryError, type RequestType } from "./protocol.ts";
import { StoreConflictError } from "./store.ts";
import type { Json } from "./validation.ts";

const MAX_ID_CHARS = 64;

type Entry = { readonly open: OpenHandler } | { readonly signed: SignedHandler };

const CATALOGUE: Readonly<Record<RequestType, Entry>> = {
  hello: { open: hello },
  register_begin: { open: registerBegin },
  register: { open: register },
  heartbeat: { signed: heartbeat },
  lookup: { signed: lookup },
  get_keys: { signed: getKeys },
  resolve_hostname: { signed: resolveHostname },
  find_by_tag: { signed: findByTag },
  set_hostname: { signed: setHostname },
  set_visibility: { signed: setVisibility },
  set_tags: { signed: setTags },
  deregister: { signed: deregister },
  rotate_key: { signed: rotateKey },
  network_create: { signed: networkCreate },
  network_join: { signed: networkJoin },
  network_leave: { signed: networkLeave },
  network_invite: { signed: networkInvite },
  network_list: { signed: networkList },
  network_members: { signed: networkMembers },
  handshake_request: { signed: handshakeRequest },
  handshake_respond: { signed: handshakeRespond },
  handshake_poll: { signed: handshakePoll },
  report_trust: { signed: reportTrust },
  revoke_trust: { signed: revokeTrust },
  list_trust: { signed: listTrust },
  punch: { signed: punch },
};

const BAD_BODY: Record<string, string> = {
  not_utf8: "request is not valid UTF-8",
  not_json: "request is not valid JSON",
  not_object: "request is not a JSON object",
  too_deep: "request is nested deeper than 16 levels",
  unsafe_integer: "request has an integer beyond 2^53-1",
};

function isKnownType(type: string): type is RequestType {
  return Object.hasOwn(CATALOGUE, type);
}

/** Anything thrown by a handler as the error the client sees; unexpected failures are `internal` and logged. */
function asRegistryError(ctx: RegistryContext, err: unknown, type: string): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof StoreConflictError) return new RegistryError("already_exists", "the record already exists");
  if (err instanceof PilotError && err.code === "internal") return new RegistryError("internal", err.message);
  ctx.log.error("request failed unexpectedly", { type, error: err instanceof Error ? err.message : String(err) });
  return new RegistryError("internal", `${type || "request"} failed: internal error`);
}

export interface Dispatcher {
  /** True once shutdown began: new requests get `unavailable`. */
  readonly closing: boolean;
}

/** Handles one frame body and returns the reply object (an `_ok` or an `error`). Never throws. */
export async function handleFrame(
  ctx: RegistryContext,
  conn: ConnInfo,
  body: Uint8Array,
  state: Dispatcher,
): Promise<Json> {
  const startedMs = ctx.clock.monotonic();
  const parsed = parseJsonBody(body);
  if (!parsed.ok) {
    ctx.metrics.request("invalid", "bad_request");
    return { ...errorReply(new RegistryError("bad_request", BAD_BODY[parsed.reason]), "") };
  }
  const obj = parsed.value;
  let id: number | string | undefined;
  let type = "";
  let label = "invalid";
  try {
    const rawId = obj.id;
    if (rawId !== undefined) {
      if (typeof rawId === "string" ? rawId.length > MAX_ID_CHARS : !Number.isSafeInteger(rawId)) {
        throw new RegistryError("bad_request", `field "id" must be an integer or a string of at most 64 chars`, {
          field: "id",
        });
      }
      id = rawId as number | string;
    }
    if (typeof obj.type !== "string") {
      throw new RegistryError(
        "bad_request",
        obj.type === undefined ? `field "type" is missing` : `field "type" must be a string`,
        {
          field: "type",
        },
      );
    }
    type = obj.type;
    if (!isKnownType(type)) {
      label = "unknown";
      type = type.slice(0, MAX_ID_CHARS);
      throw new RegistryError("unknown_type", `unknown request type ${JSON.stringify(type)}`, {
        field: "type",
      });
    }
    label = type;
    if (state.closing) throw new RegistryError("unavailable", "registry is shutting down");
    const entry = CATALOGUE[type];
    let result: Json;
    if ("open" in entry) {
      result = await entry.open(ctx, obj, conn);
    } else {
      const node = await authenticateSigned(ctx, obj);
      ctx.rates.nodeRequest(node.nodeId, ctx.clock.now());
      result = await entry.signed(ctx, { obj, node, conn });
    }
    ctx.metrics.request(label, "ok", ctx.clock.monotonic() - startedMs);
    const reply: Json = { type: `${type}_ok`, ...result };
    if (id !== undefined) reply.id = id;
    return reply;
  } catch (err) {
    const e = asRegistryError(ctx, err, type);
    ctx.metrics.request(label, e.code, ctx.clock.monotonic() - startedMs);
    return { ...errorReply(e, type, id) };
  }
}
