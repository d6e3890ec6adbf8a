import assert from "node:assert/strict";
import {
  closeError,
  ipcCloseReason,
  resetFor,
  RST_ABORTED,
  RST_LIMIT,
  RST_NO_CONNECTION,
  RST_NO_LISTENER,
  RST_NOT_TRUSTED,
  RST_TIMEOUT,
} from "../../src/transport/rst.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, PROTO_STREAM, PROTO_STREAM_ACK } from "../../src/wire/mod.ts";
import { craft } from "./lab.ts";

Deno.test("resetFor() answers a segment without ACK with RST|ACK, Seq 0, Ack = Seq + length + 1 for SYN", () => {
  const syn = craft("a", { flags: FLAG_SYN, seq: 0xfffffffe, payload: Uint8Array.of(1, 2, 4, 128) });
  const rst = resetFor(syn, RST_NO_LISTENER);
  assert.ok(rst !== null);
  assert.equal(rst.flags, FLAG_RST | FLAG_ACK);
  assert.equal(rst.proto, PROTO_STREAM);
  assert.equal(rst.seq, 0);
  // The SYN's payload is its option list, not data: Ack = Seq + 1, wrapping past 2^32.
  assert.equal(rst.ack, 0xffffffff);
  assert.deepEqual([...rst.payload], [RST_NO_LISTENER]);
  assert.deepEqual(rst.src, syn.dst);
  assert.deepEqual(rst.dst, syn.src);
  assert.equal(rst.srcPort, syn.dstPort);
  assert.equal(rst.dstPort, syn.srcPort);
  assert.equal(rst.window, 0);
});

Deno.test("resetFor() answers a segment with ACK with a bare RST whose Seq is its Ack", () => {
  const data = craft("a", { flags: FLAG_ACK | FLAG_FIN, seq: 500, ack: 0x12345678, payload: new Uint8Array(10) });
  const rst = resetFor(data, RST_NO_CONNECTION);
  assert.ok(rst !== null);
  assert.equal(rst.flags, FLAG_RST);
  assert.equal(rst.seq, 0x12345678);
  assert.equal(rst.ack, 0);
  assert.deepEqual([...rst.payload], [RST_NO_CONNECTION]);
  const sack = craft("a", { flags: FLAG_ACK, seq: 1, ack: 77, proto: PROTO_STREAM_ACK, payload: new Uint8Array(10) });
  assert.equal(resetFor(sack, RST_NO_CONNECTION)?.seq, 77);
});

Deno.test("resetFor() never answers a RST, and a null reason gives an empty payload", () => {
  assert.equal(resetFor(craft("a", { flags: FLAG_RST, seq: 1 }), RST_NO_CONNECTION), null);
  assert.equal(resetFor(craft("a", { flags: FLAG_ACK, seq: 1, ack: 2 }), null)?.payload.length, 0);
});

Deno.test("closeError() maps RST reasons during a dial to the §7.9 errors", () => {
  const target = "0:0000.0000.0102";
  const refused = closeError({ kind: "reset", rst: RST_NO_LISTENER }, target, 5000, true);
  assert.equal(refused?.code, "connection_failed");
  assert.equal(refused?.detail, "refused");
  assert.equal(refused?.message, "connection refused: 0:0000.0000.0102 port 5000");
  assert.equal(refused?.hint, "check that a service listens on port 5000");
  const untrusted = closeError({ kind: "reset", rst: RST_NOT_TRUSTED }, target, 80, true);
  assert.equal(untrusted?.code, "unauthorized");
  assert.equal(untrusted?.detail, "not_trusted");
  const limit = closeError({ kind: "reset", rst: RST_LIMIT }, target, 80, true);
  assert.equal(limit?.code, "connection_failed");
  assert.equal(limit?.detail, "limit");
  const dial = closeError({ kind: "timeout", detail: "dial" }, target, 80, true);
  assert.equal(dial?.code, "timeout");
  assert.equal(dial?.detail, "dial");
});

Deno.test("closeError() maps resets and timeouts of an established stream", () => {
  const target = "0:0000.0000.0102";
  assert.equal(closeError({ kind: "normal" }, target, 1, false), null);
  assert.equal(closeError({ kind: "reset", rst: RST_TIMEOUT }, target, 1, false)?.detail, "reset");
  assert.equal(closeError({ kind: "reset", rst: null }, target, 1, false)?.code, "connection_failed");
  assert.equal(closeError({ kind: "timeout", detail: "idle" }, target, 1, false)?.detail, "idle");
  assert.equal(closeError({ kind: "timeout", detail: "retransmit" }, target, 1, false)?.code, "timeout");
  assert.equal(closeError({ kind: "aborted", rst: RST_ABORTED }, target, 1, false)?.detail, "reset");
});

Deno.test("ipcCloseReason() gives the §8.3 closed-event reasons", () => {
  assert.equal(ipcCloseReason({ kind: "normal" }), "closed");
  assert.equal(ipcCloseReason({ kind: "reset", rst: RST_ABORTED }), "reset");
  assert.equal(ipcCloseReason({ kind: "reset", rst: RST_NOT_TRUSTED }), "not_trusted");
  assert.equal(ipcCloseReason({ kind: "aborted", rst: RST_NOT_TRUSTED }), "not_trusted");
  assert.equal(ipcCloseReason({ kind: "timeout", detail: "idle" }), "timeout");
});
