// The port-444 stream protocol (PROTOCOL-BRIEF §6.2): framing, acks, split and coalesced chunks, bad lengths.
import assert from "node:assert/strict";
import { concatBytes, u32be, utf8 } from "../../src/util/bytes.ts";
import { MAX_TRUST_MESSAGES_PER_CONNECTION, PORT444_TIMEOUT_MS } from "../../src/trust/constants.ts";
import {
  encodeTrustAckFrame,
  encodeTrustFrame,
  parseTrustAck,
  type ReceiverEvent,
  TrustStreamReceiver,
  TrustStreamSender,
} from "../../src/trust/port444.ts";
import { parseTrustMessage } from "../../src/trust/message.ts";
import type { TrustAck } from "../../src/trust/record.ts";
import { WireFormatError } from "../../src/wire/mod.ts";
import { A, B, makeNode, signedMessage, START_MS } from "./_fixtures.ts";

const alice = makeNode(A);
const request = signedMessage(alice, B, "trust_request", START_MS, { justification: "logs" });
const approve = signedMessage(alice, B, "trust_approve", START_MS + 1);

function frame(body: Uint8Array): Uint8Array {
  return concatBytes(u32be(body.length), body);
}

function kinds(events: ReceiverEvent[]): string[] {
  return events.map((e) => e.kind === "reply" ? `reply:${e.ack.code}` : e.kind);
}

Deno.test("the overall port-444 budget is 10 s", () => {
  assert.equal(PORT444_TIMEOUT_MS, 10_000);
});

Deno.test("encodeTrustFrame() is length u32 ‖ JSON and decodes back to the message", () => {
  const bytes = encodeTrustFrame(request);
  const length = new DataView(bytes.buffer).getUint32(0);
  assert.equal(length, bytes.length - 4);
  const r = parseTrustMessage(JSON.parse(new TextDecoder().decode(bytes.subarray(4))));
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.message, request);
});

Deno.test("TrustStreamReceiver yields several messages from one coalesced chunk", () => {
  const rx = new TrustStreamReceiver();
  const events = rx.push(concatBytes(encodeTrustFrame(request), encodeTrustFrame(approve)));
  assert.deepEqual(kinds(events), ["message", "message"]);
  assert.deepEqual((events[0] as { value: unknown }).value, JSON.parse(JSON.stringify(request)));
  assert.deepEqual(kinds(rx.end()), ["close"]);
  assert.equal(rx.closed, true);
});

Deno.test("TrustStreamReceiver reassembles a message split into one-byte chunks", () => {
  const rx = new TrustStreamReceiver();
  const bytes = concatBytes(encodeTrustFrame(request), encodeTrustFrame(approve));
  const events: ReceiverEvent[] = [];
  for (let i = 0; i < bytes.length; i++) events.push(...rx.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(kinds(events), ["message", "message"]);
  assert.equal((events[1] as { value: Record<string, unknown> }).value.type, "trust_approve");
});

Deno.test("TrustStreamReceiver refuses a 0-length frame with an error ack, then closes", () => {
  const rx = new TrustStreamReceiver();
  const events = rx.push(concatBytes(encodeTrustFrame(request), u32be(0), encodeTrustFrame(approve)));
  assert.deepEqual(kinds(events), ["message", "reply:frame_too_large", "close"]);
  const reply = events[1] as { ack: TrustAck };
  assert.equal(reply.ack.status, "error");
  assert.deepEqual(rx.push(encodeTrustFrame(approve)), [], "nothing after the close");
  assert.deepEqual(rx.end(), []);
});

Deno.test("TrustStreamReceiver refuses a frame over 16 KiB before its body arrives", () => {
  const rx = new TrustStreamReceiver();
  assert.deepEqual(kinds(rx.push(u32be(16_385))), ["reply:frame_too_large", "close"]);
  const edge = new TrustStreamReceiver();
  assert.deepEqual(edge.push(u32be(16_384)), [], "16 KiB itself is allowed");
});

Deno.test("TrustStreamReceiver answers a well-framed non-object with an error and stays open", () => {
  const rx = new TrustStreamReceiver();
  const events = rx.push(concatBytes(frame(utf8("[1,2]")), frame(utf8("{nope")), encodeTrustFrame(approve)));
  assert.deepEqual(kinds(events), ["reply:bad_message", "reply:bad_message", "message"]);
  assert.equal(rx.closed, false);
});

Deno.test("TrustStreamReceiver caps messages per connection", () => {
  const rx = new TrustStreamReceiver();
  const frames = Array.from({ length: MAX_TRUST_MESSAGES_PER_CONNECTION + 1 }, () => encodeTrustFrame(approve));
  const events = rx.push(concatBytes(...frames));
  assert.equal(events.filter((e) => e.kind === "message").length, MAX_TRUST_MESSAGES_PER_CONNECTION);
  assert.deepEqual(kinds(events.slice(-2)), ["reply:too_many_messages", "close"]);
});

Deno.test("TrustStreamReceiver closes on a truncated frame at end of stream without an ack", () => {
  const rx = new TrustStreamReceiver();
  const bytes = encodeTrustFrame(request);
  assert.deepEqual(rx.push(bytes.subarray(0, bytes.length - 1)), []);
  assert.deepEqual(kinds(rx.end()), ["close"]);
});

Deno.test("TrustStreamSender writes all frames and completes after one ack per message", () => {
  const tx = new TrustStreamSender([request, approve]);
  assert.deepEqual(tx.bytes, concatBytes(encodeTrustFrame(request), encodeTrustFrame(approve)));
  const acks = concatBytes(
    encodeTrustAckFrame({ type: "trust_ack", status: "pending" }),
    encodeTrustAckFrame({ type: "trust_ack", status: "ignored", code: "unsolicited_approve" }),
  );
  let progress = tx.push(acks.subarray(0, 7));
  assert.equal(progress.done, false);
  assert.equal(progress.acks.length, 0);
  progress = tx.push(acks.subarray(7));
  assert.equal(progress.done, true);
  assert.equal(progress.failure, undefined);
  assert.deepEqual(progress.acks.map((a) => a.status), ["pending", "ignored"]);
  assert.equal(progress.acks[1].code, "unsolicited_approve");
});

Deno.test("TrustStreamSender fails on an early close, a malformed ack, an extra frame or a bad length", () => {
  const early = new TrustStreamSender([request, approve]);
  early.push(encodeTrustAckFrame({ type: "trust_ack", status: "pending" }));
  assert.match(early.end().failure ?? "", /after 1 of 2/);

  const malformed = new TrustStreamSender([request]);
  assert.match(malformed.push(frame(utf8('{"type":"trust_ack","status":"great"}'))).failure ?? "", /malformed/);

  const extra = new TrustStreamSender([request]);
  const two = concatBytes(
    encodeTrustAckFrame({ type: "trust_ack", status: "pending" }),
    encodeTrustAckFrame({ type: "trust_ack", status: "pending" }),
  );
  assert.match(extra.push(two).failure ?? "", /unexpected frame/);

  const huge = new TrustStreamSender([request]);
  assert.match(huge.push(u32be(0)).failure ?? "", /length 0/);

  assert.throws(() => new TrustStreamSender([]), RangeError);
});

Deno.test("encodeTrustFrame() refuses a message that would exceed 16 KiB", () => {
  const oversized = { ...request, justification: "\u0001".repeat(3000) }; // escapes to 6 bytes each
  assert.throws(() => encodeTrustFrame(oversized), WireFormatError);
});

Deno.test("parseTrustAck() accepts the §6.2 shape and refuses anything else", () => {
  assert.deepEqual(parseTrustAck({ type: "trust_ack", status: "trusted" }), { type: "trust_ack", status: "trusted" });
  const err = { type: "trust_ack", status: "error", code: "replay", message: "ts not after" };
  assert.deepEqual(parseTrustAck(err), err);
  assert.equal(parseTrustAck({ type: "trust_ack", status: "ok" }), null);
  assert.equal(parseTrustAck({ type: "ack", status: "trusted" }), null);
  assert.equal(parseTrustAck({ type: "trust_ack", status: "trusted", code: 5 }), null);
  assert.equal(parseTrustAck({ type: "trust_ack", status: "trusted", extra: 1 }), null);
  assert.equal(parseTrustAck("trust_ack"), null);
});
