// Run as a child by openssl_fallback.int_test.ts: prints which AES-GCM the packet path chose in this process and
// whether a 16 KiB PILS frame sealed by one keyset opens under its peer keyset, on the path the tunnel would pick.
import { acceleratorStatus } from "../../src/crypto/openssl_gcm.ts";
import { asyncAeadMinBytes, Keyset } from "../../src/tunnel/keyset.ts";
import { decodePils } from "../../src/wire/mod.ts";

const a = new Uint8Array(32).fill(1);
const b = new Uint8Array(32).fill(2);
const base = { peerNode: 0x101, createdAtMs: 0 } as const;
const tx = new Keyset({ ...base, localIndex: 1, remoteIndex: 2, role: "initiator", sendKey: a, receiveKey: b });
const rx = new Keyset({ ...base, localIndex: 2, remoteIndex: 1, role: "responder", sendKey: b, receiveKey: a });
const plaintext = new Uint8Array(16_000).map((_, i) => i & 0xff);
const large = plaintext.length >= asyncAeadMinBytes();
const frame = large ? await tx.sealAsync(plaintext) : tx.seal(plaintext);
const opened = large ? await rx.openAsync(decodePils(frame), 0) : rx.open(decodePils(frame), 0);
const ok = opened.ok && opened.plaintext.length === plaintext.length &&
  opened.plaintext.every((v, i) => v === plaintext[i]);
console.log(JSON.stringify({ backend: acceleratorStatus().backend, async: large, ok }));
