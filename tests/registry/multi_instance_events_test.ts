// The payload codec of the events between registry instances (PROTOCOL-BRIEF §4.1, §4.2, §5): every event
// round-trips, replay batches split under the NOTIFY size limit, and anything malformed decodes to null.
import assert from "node:assert/strict";
import {
  decodeStoreEvent,
  encodeReplayEvents,
  encodeStoreEvent,
  MAX_EVENT_PAYLOAD_BYTES,
  REPLAY_ENTRIES_PER_EVENT,
  type StoreEvent,
} from "../../src/registry/multi_instance_events.ts";
import type { ReplayEntry } from "../../src/registry/store.ts";

const ORIGIN = "0123456789abcdef";

Deno.test("encodeStoreEvent() / decodeStoreEvent() round-trip every kind with its origin", () => {
  const events: StoreEvent[] = [
    { kind: "inbox", node: 0x100, inbox: 3 },
    { kind: "punch" },
    { kind: "forget", node: 0xffff_ffff },
    { kind: "replay", entries: [{ nodeId: 0x101, nonce: new Uint8Array(16).fill(9), expiresAtMs: 1_750_000_600_000 }] },
    { kind: "ping", id: "feedbeef" },
  ];
  for (const event of events) {
    assert.deepEqual(decodeStoreEvent(encodeStoreEvent(ORIGIN, event)), { origin: ORIGIN, event });
  }
});

Deno.test("encodeReplayEvents() splits large batches into payloads under the NOTIFY limit", () => {
  const entries: ReplayEntry[] = Array.from({ length: REPLAY_ENTRIES_PER_EVENT * 2 + 1 }, (_, i) => ({
    nodeId: 0xffff_ffff - i,
    nonce: new Uint8Array(16).fill(0xff),
    expiresAtMs: Number.MAX_SAFE_INTEGER,
  }));
  const payloads = encodeReplayEvents(ORIGIN, entries);
  assert.equal(payloads.length, 3);
  let back: ReplayEntry[] = [];
  for (const p of payloads) {
    assert.ok(new TextEncoder().encode(p).length <= MAX_EVENT_PAYLOAD_BYTES, `payload of ${p.length} bytes`);
    const d = decodeStoreEvent(p);
    assert.ok(d !== null && d.event.kind === "replay");
    back = back.concat(d.event.entries);
  }
  assert.deepEqual(back, entries);
  assert.deepEqual(encodeReplayEvents(ORIGIN, []), []);
});

Deno.test("decodeStoreEvent() returns null for malformed or foreign payloads", () => {
  const bad = [
    "",
    "not json",
    "[]",
    "null",
    '{"k":"punch"}',
    '{"o":"","k":"punch"}',
    `{"o":"${"x".repeat(65)}","k":"punch"}`,
    '{"o":"a","k":"reboot"}',
    '{"o":"a","k":"inbox","node":-1,"inbox":1}',
    '{"o":"a","k":"inbox","node":1.5,"inbox":1}',
    '{"o":"a","k":"inbox","node":256}',
    '{"o":"a","k":"forget","node":"256"}',
    '{"o":"a","k":"replay","e":[[1,"AAAA",5]]}',
    '{"o":"a","k":"replay","e":[[1,"AAAAAAAAAAAAAAAAAAAAAA==",5,6]]}',
    '{"o":"a","k":"replay","e":{}}',
    '{"o":"a","k":"ping","id":7}',
    `{"o":"a","k":"punch","pad":"${"x".repeat(MAX_EVENT_PAYLOAD_BYTES)}"}`,
  ];
  for (const text of bad) assert.equal(decodeStoreEvent(text), null, text);
});
