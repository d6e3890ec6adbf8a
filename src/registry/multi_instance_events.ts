// Events between registry instances sharing one store (PROTOCOL-BRIEF §4.1 notify push, §4.2 replay cache, §5 punch
// jobs and the beacon in one instance): the payload codec of the store's notification channel. Pure. A payload is
// one JSON object, at most MAX_EVENT_PAYLOAD_BYTES (PostgreSQL NOTIFY allows < 8000):
//
//   {"o":"<origin instance>","k":"inbox","node":n,"inbox":count}   a trust message was queued for node n
//   {"o":…,"k":"punch"}                                            punch jobs were inserted
//   {"o":…,"k":"forget","node":n}                                  node n went offline: drop its beacon registration
//   {"o":…,"k":"replay","e":[[node,"<b64 nonce>",expires_ms],…]}  nonces recorded (≤ REPLAY_ENTRIES_PER_EVENT)
//   {"o":…,"k":"ping","id":"<hex>"}                                a barrier: every earlier event was delivered
//
// Anything else on the channel is ignored (decode returns null), never thrown.
import { fromBase64Exact, toBase64 } from "../util/bytes.ts";
import { NONCE_BYTES } from "./protocol.ts";
import type { ReplayEntry } from "./store.ts";

export const MAX_EVENT_PAYLOAD_BYTES = 7_900;
/** ~60 bytes per entry keeps a replay event well under MAX_EVENT_PAYLOAD_BYTES. */
export const REPLAY_ENTRIES_PER_EVENT = 100;
const MAX_ORIGIN_CHARS = 64;

export type StoreEvent =
  | { readonly kind: "inbox"; readonly node: number; readonly inbox: number }
  | { readonly kind: "punch" }
  | { readonly kind: "forget"; readonly node: number }
  | { readonly kind: "replay"; readonly entries: readonly ReplayEntry[] }
  | { readonly kind: "ping"; readonly id: string };

export interface DecodedEvent {
  readonly origin: string;
  readonly event: StoreEvent;
}

export function encodeStoreEvent(origin: string, event: StoreEvent): string {
  switch (event.kind) {
    case "inbox":
      return JSON.stringify({ o: origin, k: "inbox", node: event.node, inbox: event.inbox });
    case "punch":
      return JSON.stringify({ o: origin, k: "punch" });
    case "forget":
      return JSON.stringify({ o: origin, k: "forget", node: event.node });
    case "replay":
      return JSON.stringify({
        o: origin,
        k: "replay",
        e: event.entries.map((e) => [e.nodeId, toBase64(e.nonce), e.expiresAtMs]),
      });
    case "ping":
      return JSON.stringify({ o: origin, k: "ping", id: event.id });
  }
}

/** Replay entries as as many payloads as they need. */
export function encodeReplayEvents(origin: string, entries: readonly ReplayEntry[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < entries.length; i += REPLAY_ENTRIES_PER_EVENT) {
    out.push(encodeStoreEvent(origin, { kind: "replay", entries: entries.slice(i, i + REPLAY_ENTRIES_PER_EVENT) }));
  }
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function decodeReplayEntries(raw: unknown): ReplayEntry[] | null {
  if (!Array.isArray(raw) || raw.length > REPLAY_ENTRIES_PER_EVENT) return null;
  const out: ReplayEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item.length !== 3) return null;
    const [nodeId, nonceText, expiresAtMs] = item;
    const nonce = fromBase64Exact(nonceText, NONCE_BYTES);
    if (!isCount(nodeId) || nonce === null || !isCount(expiresAtMs)) return null;
    out.push({ nodeId, nonce, expiresAtMs });
  }
  return out;
}

export function decodeStoreEvent(text: string): DecodedEvent | null {
  if (text.length > MAX_EVENT_PAYLOAD_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const origin = obj.o;
  if (typeof origin !== "string" || origin.length === 0 || origin.length > MAX_ORIGIN_CHARS) return null;
  let event: StoreEvent | null = null;
  switch (obj.k) {
    case "inbox":
      if (isCount(obj.node) && isCount(obj.inbox)) event = { kind: "inbox", node: obj.node, inbox: obj.inbox };
      break;
    case "punch":
      event = { kind: "punch" };
      break;
    case "forget":
      if (isCount(obj.node)) event = { kind: "forget", node: obj.node };
      break;
    case "replay": {
      const entries = decodeReplayEntries(obj.e);
      if (entries !== null) event = { kind: "replay", entries };
      break;
    }
    case "ping":
      if (typeof obj.id === "string" && obj.id.length <= MAX_ORIGIN_CHARS) event = { kind: "ping", id: obj.id };
      break;
  }
  return event === null ? null : { origin, event };
}
