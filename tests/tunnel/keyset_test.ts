import assert from "node:assert/strict";
import { randomBytes, toHex } from "../../src/util/bytes.ts";
import { ManualClock } from "../../src/util/clock.ts";
import {
  Keyset,
  type KeysetRole,
  receiveAllowed,
  REJECT_AFTER_MESSAGES,
  REKEY_AFTER_MESSAGES,
  rekeyDue,
  sendAllowed,
} from "../../src/tunnel/mod.ts";
import { decodePils, encodePilsHeader, PILS_HEADER_BYTES } from "../../src/wire/mod.ts";
import { createNobleAead } from "../../src/crypto/aead.ts";

function pair(clock: ManualClock, role: KeysetRole = "initiator"): { tx: Keyset; rx: Keyset } {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const now = clock.monotonic();
  const tx = new Keyset({
    peerNode: 0x102,
    localIndex: 11,
    remoteIndex: 22,
    role,
    createdAtMs: now,
    sendKey: k1,
    receiveKey: k2,
  });
  const rx = new Keyset({
    peerNode: 0x101,
    localIndex: 22,
    remoteIndex: 11,
    role: role === "initiator" ? "responder" : "initiator",
    createdAtMs: now,
    sendKey: k2,
    receiveKey: k1,
  });
  return { tx, rx };
}

function open(k: Keyset, frame: Uint8Array, clock: ManualClock) {
  return k.open(decodePils(frame), clock.monotonic());
}

Deno.test("seal() writes the PILS header with the receiver index and counters from 0", () => {
  const clock = new ManualClock();
  const { tx } = pair(clock);
  const f0 = tx.seal(Uint8Array.of(0x10, 1, 2));
  const f1 = tx.seal(new Uint8Array(0));
  assert.equal(toHex(f0.subarray(0, PILS_HEADER_BYTES)), toHex(encodePilsHeader({ receiverIndex: 22, counter: 0n })));
  assert.equal(toHex(f1.subarray(0, PILS_HEADER_BYTES)), toHex(encodePilsHeader({ receiverIndex: 22, counter: 1n })));
  assert.equal(f0.length, 16 + 3 + 16);
  assert.equal(f1.length, 32, "an empty keepalive is header + tag");
  assert.equal(tx.sentMessages, 2n);
});

Deno.test("seal() output is the crypto/aead.ts AES-256-GCM of the plaintext, nonce = counter, AAD = header", () => {
  const key = randomBytes(32);
  const tx = new Keyset({
    peerNode: 0x102,
    localIndex: 11,
    remoteIndex: 0xa1b2c3d4,
    role: "initiator",
    createdAtMs: 0,
    sendKey: key,
    receiveKey: randomBytes(32),
  });
  const reference = createNobleAead(key); // pure-JS reference: independent of the accelerator
  for (const [counter, size] of [[0n, 0], [1n, 1], [2n, 1186], [3n, 16_000]] as const) {
    const plaintext = randomBytes(size);
    const frame = tx.seal(plaintext);
    const header = encodePilsHeader({ receiverIndex: 0xa1b2c3d4, counter });
    assert.equal(toHex(frame.subarray(0, PILS_HEADER_BYTES)), toHex(header));
    assert.equal(
      toHex(frame.subarray(PILS_HEADER_BYTES)),
      toHex(reference.seal(counter, plaintext, header)),
      `size ${size}`,
    );
  }
});

Deno.test("open() returns a plain Uint8Array copy-safe plaintext, and empty plaintexts open", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const r = open(rx, tx.seal(Uint8Array.of(0x10, 1, 2)), clock);
  assert.ok(r.ok);
  assert.equal(Object.getPrototypeOf(r.plaintext), Uint8Array.prototype);
  const empty = open(rx, tx.seal(new Uint8Array(0)), clock);
  assert.ok(empty.ok && empty.plaintext.length === 0);
});

Deno.test("sealAsync() and openAsync() (WebCrypto) interoperate byte for byte with seal() and open()", async () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const big = randomBytes(16_000);
  const a = tx.seal(big);
  const b = await tx.sealAsync(big);
  const c = tx.seal(Uint8Array.of(0x10));
  assert.equal(toHex(b.subarray(0, PILS_HEADER_BYTES)), toHex(encodePilsHeader({ receiverIndex: 22, counter: 1n })));
  const viaAsync = await rx.openAsync(decodePils(a), clock.monotonic());
  assert.ok(viaAsync.ok && toHex(viaAsync.plaintext) === toHex(big));
  const viaSync = open(rx, b, clock);
  assert.ok(viaSync.ok && toHex(viaSync.plaintext) === toHex(big));
  const small = await rx.openAsync(decodePils(c), clock.monotonic());
  assert.ok(small.ok && small.raisedMax);
  assert.equal(rx.receiveMax, 2n);
});

Deno.test("openAsync() drops tampered frames as auth_fail and replays as replay, leaving the window", async () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const f = await tx.sealAsync(randomBytes(5_000));
  const bad = f.slice();
  bad[100] ^= 1;
  assert.deepEqual(await rx.openAsync(decodePils(bad), clock.monotonic()), { ok: false, reason: "auth_fail" });
  assert.equal(rx.receiveMax, null);
  const [first, second] = await Promise.all([
    rx.openAsync(decodePils(f), clock.monotonic()),
    rx.openAsync(decodePils(f), clock.monotonic()),
  ]);
  const outcomes = [first, second].map((r) => r.ok ? "ok" : r.reason).sort();
  assert.deepEqual(outcomes, ["ok", "replay"], "two copies opened concurrently: one accepted, one a replay");
});

Deno.test("open() returns the plaintext and reports whether the newest counter rose", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const f0 = tx.seal(Uint8Array.of(0x10, 7));
  const f1 = tx.seal(Uint8Array.of(0x10, 8));
  const r1 = open(rx, f1, clock);
  assert.ok(r1.ok && r1.raisedMax && toHex(r1.plaintext) === "1008");
  const r0 = open(rx, f0, clock);
  assert.ok(r0.ok && !r0.raisedMax, "an older counter inside the window is accepted but does not raise max");
  assert.equal(rx.receiveMax, 1n);
});

Deno.test("a replayed PILS is dropped as replay", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const f = tx.seal(Uint8Array.of(0x10));
  assert.ok(open(rx, f, clock).ok);
  assert.deepEqual(open(rx, f, clock), { ok: false, reason: "replay" });
});

Deno.test("a tampered PILS fails auth_fail and leaves the window unchanged", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const f = tx.seal(Uint8Array.of(0x10, 1, 2, 3));
  for (const at of [5, 17, f.length - 1]) {
    const bad = f.slice();
    bad[at] ^= 0x01;
    assert.deepEqual(open(rx, bad, clock), { ok: false, reason: "auth_fail" }, `byte ${at}`);
  }
  assert.equal(rx.receiveMax, null, "no counter was recorded");
  assert.ok(open(rx, f, clock).ok, "the genuine frame with the same counter still opens");
});

Deno.test("a frame far behind the newest counter is too_old; a counter at 2^60 is bad_counter", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const frames: Uint8Array[] = [];
  for (let i = 0; i <= 4096; i++) frames.push(tx.seal(new Uint8Array(0)));
  assert.ok(open(rx, frames[4096], clock).ok);
  assert.deepEqual(open(rx, frames[0], clock), { ok: false, reason: "too_old" });
  assert.ok(open(rx, frames[1], clock).ok, "counter max - 4095 is still inside the window");
  const huge = new Uint8Array(32);
  huge.set(encodePilsHeader({ receiverIndex: 22, counter: 1n << 60n }));
  assert.deepEqual(open(rx, huge, clock), { ok: false, reason: "bad_counter" });
});

Deno.test("rekeyDue(): initiator at 120 s, responder at 135 s, anyone after 2^32 messages", () => {
  assert.equal(rekeyDue("initiator", 119_999, 0n), false);
  assert.equal(rekeyDue("initiator", 120_000, 0n), true);
  assert.equal(rekeyDue("responder", 120_000, 0n), false);
  assert.equal(rekeyDue("responder", 135_000, 0n), true);
  assert.equal(rekeyDue("responder", 0, REKEY_AFTER_MESSAGES - 1n), false);
  assert.equal(rekeyDue("responder", 0, REKEY_AFTER_MESSAGES), true);
});

Deno.test("sendAllowed() and receiveAllowed() stop at 180 s and sendAllowed() at 2^60 messages", () => {
  assert.equal(sendAllowed(179_999, 0n), true);
  assert.equal(sendAllowed(180_000, 0n), false);
  assert.equal(sendAllowed(0, REJECT_AFTER_MESSAGES - 1n), true);
  assert.equal(sendAllowed(0, REJECT_AFTER_MESSAGES), false);
  assert.equal(receiveAllowed(179_999), true);
  assert.equal(receiveAllowed(180_000), false);
});

Deno.test("a keyset past REJECT_AFTER_TIME neither sends nor opens", () => {
  const clock = new ManualClock();
  const { tx, rx } = pair(clock);
  const f = tx.seal(Uint8Array.of(0x10));
  clock.advance(120_000);
  assert.ok(tx.needsRekey(clock.monotonic()));
  assert.ok(tx.canSend(clock.monotonic()));
  clock.advance(60_000);
  assert.equal(tx.canSend(clock.monotonic()), false);
  assert.deepEqual(open(rx, f, clock), { ok: false, reason: "keyset_expired" });
});
