// Trust messages (PROTOCOL-BRIEF §6.1): signing convention, strict parsing of untrusted JSON, verification.
import assert from "node:assert/strict";
import { ed25519Verify } from "../../src/crypto/mod.ts";
import { concatBytes, fromBase64, toBase64, utf8 } from "../../src/util/bytes.ts";
import { canonicalJson } from "../../src/util/jcs.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";
import { parseTrustMessage, signTrustMessage, trustSigningBytes, verifyTrustMessage } from "../../src/trust/message.ts";
import { A, B, makeNode, signedMessage, START_MS, wire } from "./_fixtures.ts";

const alice = makeNode(A);
const bob = makeNode(B);

function parseFails(value: unknown, pattern: RegExp): void {
  const r = parseTrustMessage(value);
  assert.equal(r.ok, false, `expected a refusal for ${JSON.stringify(value)}`);
  if (!r.ok) assert.match(r.reason, pattern);
}

function mutated(overrides: Record<string, unknown>, drop: string[] = []): Record<string, unknown> {
  const obj = { ...wire(signedMessage(alice, B, "trust_request", START_MS, { justification: "logs" })), ...overrides };
  for (const key of drop) delete obj[key];
  return obj;
}

Deno.test("trustSigningBytes() is the label followed by the JCS of the message without sig", () => {
  const unsigned = {
    type: "trust_request" as const,
    to: B,
    from: A,
    ts: START_MS,
    exp: START_MS + 600_000,
    nonce: "q83vEjRWeJq83vEjRWeJqw==",
    justification: "share build logs",
  };
  const expected = '{"exp":1767226200000,"from":257,"justification":"share build logs",' +
    '"nonce":"q83vEjRWeJq83vEjRWeJqw==","to":258,"ts":1767225600000,"type":"trust_request"}';
  assert.equal(canonicalJson(unsigned), expected);
  assert.deepEqual(trustSigningBytes(unsigned), concatBytes(utf8("pilot-trust-v1\n"), utf8(expected)));
});

Deno.test("signTrustMessage() produces an Ed25519 signature over the signing bytes", () => {
  const msg = signedMessage(alice, B, "trust_request", START_MS, { justification: "share build logs" });
  const sig = fromBase64(msg.sig);
  assert.ok(sig !== null && sig.length === 64);
  assert.equal(msg.sig.length, 88);
  assert.ok(ed25519Verify(alice.publicKey, trustSigningBytes(msg), sig));
  assert.ok(verifyTrustMessage(msg, alice.publicKey));
});

Deno.test("verifyTrustMessage() rejects another key, a changed field and a flipped signature bit", () => {
  const msg = signedMessage(alice, B, "trust_reject", START_MS, { reason: "no" });
  assert.equal(verifyTrustMessage(msg, bob.publicKey), false);
  assert.equal(verifyTrustMessage({ ...msg, reason: "yes" }, alice.publicKey), false);
  assert.equal(verifyTrustMessage({ ...msg, ts: msg.ts + 1 }, alice.publicKey), false);
  const sig = fromBase64(msg.sig)!;
  sig[10] ^= 1;
  assert.equal(verifyTrustMessage({ ...msg, sig: toBase64(sig) }, alice.publicKey), false);
});

Deno.test("parseTrustMessage() accepts each of the four types and round-trips through JSON", () => {
  const cases = [
    signedMessage(alice, B, "trust_request", START_MS, { justification: "x" }),
    signedMessage(alice, B, "trust_request", START_MS),
    signedMessage(alice, B, "trust_approve", START_MS),
    signedMessage(alice, B, "trust_reject", START_MS, { reason: "busy" }),
    signedMessage(alice, B, "trust_revoke", START_MS),
  ];
  for (const msg of cases) {
    const r = parseTrustMessage(wire(msg));
    assert.ok(r.ok, `parse ${msg.type}`);
    if (r.ok) {
      assert.deepEqual(r.message, msg);
      assert.ok(verifyTrustMessage(r.message, alice.publicKey));
    }
  }
});

Deno.test("parseTrustMessage() never throws and refuses non-objects", () => {
  for (const v of [null, undefined, 1, "x", [], [1], true]) parseFails(v, /not a JSON object/);
});

Deno.test("parseTrustMessage() refuses bad type, ids and timestamps", () => {
  parseFails(mutated({ type: "trust_hello" }), /"type"/);
  parseFails(mutated({ from: 0 }), /"from"/);
  parseFails(mutated({ from: 0xff }), /"from"/);
  parseFails(mutated({ from: 0xffffffff }), /"from"/);
  parseFails(mutated({ to: "258" }), /"to"/);
  parseFails(mutated({ to: A }), /must differ/);
  parseFails(mutated({ ts: -1 }), /"ts"/);
  parseFails(mutated({ ts: 1.5 }), /"ts"/);
  parseFails(mutated({ ts: 2 ** 53 }), /"ts"/);
  parseFails(mutated({ exp: START_MS - 1 }), /"exp"/);
  parseFails(mutated({ exp: START_MS + 7 * 86_400_000 + 1 }), /"exp"/);
  parseFails(mutated({}, ["exp"]), /"exp"/);
});

Deno.test("parseTrustMessage() refuses nonce and sig of the wrong length or encoding", () => {
  parseFails(mutated({ nonce: toBase64(new Uint8Array(15)) }), /"nonce"/);
  parseFails(mutated({ nonce: toBase64(new Uint8Array(17)) }), /"nonce"/);
  parseFails(mutated({ nonce: "q83vEjRWeJq83vEjRWeJqw" }), /"nonce"/); // no padding
  parseFails(mutated({ sig: toBase64(new Uint8Array(63)) }), /"sig"/);
  parseFails(mutated({ sig: 5 }), /"sig"/);
  parseFails(mutated({}, ["sig"]), /"sig"/);
});

Deno.test("parseTrustMessage() bounds justification at 1024 and reason at 256 bytes of UTF-8", () => {
  assert.ok(parseTrustMessage(mutated({ justification: "a".repeat(1024) })).ok);
  parseFails(mutated({ justification: "a".repeat(1025) }), /"justification"/);
  // 342 × "€" (3 bytes) = 1026 bytes in 342 UTF-16 units.
  parseFails(mutated({ justification: "€".repeat(342) }), /"justification"/);
  parseFails(mutated({ justification: "\ud800" }), /"justification"/);
  parseFails(mutated({ justification: 7 }), /"justification"/);
  const reject = wire(signedMessage(alice, B, "trust_reject", START_MS));
  assert.ok(parseTrustMessage({ ...reject, reason: "é".repeat(128) }).ok);
  parseFails({ ...reject, reason: "é".repeat(129) }, /"reason"/);
});

Deno.test("parseTrustMessage() refuses unknown fields and fields of another type", () => {
  parseFails(mutated({ extra: 1 }), /unexpected field "extra"/);
  parseFails(mutated({ reason: "x" }), /unexpected field "reason"/);
  const approve = wire(signedMessage(alice, B, "trust_approve", START_MS));
  parseFails({ ...approve, justification: "x" }, /unexpected field "justification"/);
  parseFails(JSON.parse('{"__proto__":1,"type":"trust_approve"}'), /unexpected field "__proto__"/);
});

Deno.test("signTrustMessage() refuses a message that breaks §6.1", () => {
  assert.throws(
    () =>
      signTrustMessage({
        type: "trust_request",
        from: A,
        to: B,
        ts: START_MS,
        exp: START_MS + 1,
        nonce: toBase64(new Uint8Array(16)),
        justification: "x".repeat(1025),
      }, alice.signer),
    InvalidArgumentError,
  );
});
