// Per-packet AES-256-GCM cost (PROTOCOL-BRIEF §3.5) for a full-size direct packet: node:crypto, WebCrypto and
// @noble/ciphers, sealing and opening 1,218-byte plaintexts with a 16-byte AAD. Run: deno bench tests/crypto/
import { createCipheriv, createDecipheriv } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { createAead, createNobleAead } from "../../src/crypto/aead.ts";

const PLAINTEXT_BYTES = 1218;
const AAD_BYTES = 16;
const TAG_BYTES = 16;

const key = crypto.getRandomValues(new Uint8Array(32));
const nonce = new Uint8Array(12);
const aad = crypto.getRandomValues(new Uint8Array(AAD_BYTES));
const plaintext = crypto.getRandomValues(new Uint8Array(PLAINTEXT_BYTES));
const subtleKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
const sealed = gcm(key, nonce, aad).encrypt(plaintext);

function nodeSeal(): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  cipher.final();
  const out = new Uint8Array(head.length + TAG_BYTES);
  out.set(head);
  out.set(cipher.getAuthTag(), head.length);
  return out;
}

function nodeOpen(): Uint8Array {
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const out = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  decipher.final();
  return out;
}

const nativeAead = createAead(key);
const nobleAead = createNobleAead(key);
const aeadSealed = nativeAead.seal(0n, plaintext, aad);

Deno.bench("seal node:crypto createCipheriv", { group: "seal", baseline: true }, () => {
  nodeSeal();
});
Deno.bench("seal WebCrypto subtle.encrypt (async)", { group: "seal" }, async () => {
  await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, subtleKey, plaintext);
});
Deno.bench("seal @noble/ciphers gcm", { group: "seal" }, () => {
  gcm(key, nonce, aad).encrypt(plaintext);
});
Deno.bench("seal createAead (native)", { group: "seal" }, () => {
  nativeAead.seal(1n, plaintext, aad);
});
Deno.bench("seal createNobleAead", { group: "seal" }, () => {
  nobleAead.seal(1n, plaintext, aad);
});

Deno.bench("open node:crypto createDecipheriv", { group: "open", baseline: true }, () => {
  nodeOpen();
});
Deno.bench("open WebCrypto subtle.decrypt (async)", { group: "open" }, async () => {
  await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, subtleKey, sealed);
});
Deno.bench("open @noble/ciphers gcm", { group: "open" }, () => {
  gcm(key, nonce, aad).decrypt(sealed);
});
Deno.bench("open createAead (native)", { group: "open" }, () => {
  nativeAead.open(0n, aeadSealed, aad);
});
Deno.bench("open createNobleAead", { group: "open" }, () => {
  nobleAead.open(0n, aeadSealed, aad);
});

const BATCH = 64;
Deno.bench(`seal WebCrypto, ${BATCH} in flight (per batch)`, { group: "batch" }, async () => {
  const jobs: Promise<ArrayBuffer>[] = [];
  for (let i = 0; i < BATCH; i++) {
    jobs.push(crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, subtleKey, plaintext));
  }
  await Promise.all(jobs);
});
Deno.bench(`seal node:crypto, ${BATCH} sequential (per batch)`, { group: "batch", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) nodeSeal();
});
