// The public face of crypto/: identity (Ed25519 + bound X25519 static key, §3.2), the Noise IK handshake (§3.3), the
// per-packet AEAD (§3.5), the replay window (§3.6) and handshake flood protection (§3.9).
export {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  ed25519FromSeed,
  type Ed25519KeyPair,
  ed25519Sign,
  ed25519Verify,
  generateEd25519,
} from "./ed25519.ts";
export { generateX25519, X25519_KEY_BYTES, x25519FromPrivate, type X25519KeyPair, x25519Shared } from "./x25519.ts";
export { hmacSha256, noiseHkdf, sha256, SHA256_BYTES } from "./hash.ts";
export {
  decodeIdentityFile,
  encodeIdentityFile,
  fingerprint,
  generateIdentity,
  type Identity,
  loadIdentity,
  loadOrCreateIdentity,
  noiseBindingBytes,
  saveIdentity,
  verifyNoiseBinding,
} from "./identity.ts";
export {
  type Aead,
  AES_256_KEY_BYTES,
  type AesGcm,
  aesGcmOpen,
  aesGcmSeal,
  type AsyncAead,
  type AsyncAesGcm,
  counterNonce,
  createAead,
  createAsyncAead,
  createNobleAead,
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  MAX_AEAD_COUNTER,
  nativeAesGcm,
  nobleAesGcm,
  webCryptoAesGcm,
} from "./aead.ts";
export { REPLAY_COUNTER_LIMIT, REPLAY_WINDOW_COUNTERS, type ReplayVerdict, ReplayWindow } from "./replay_window.ts";
export {
  CipherState,
  NOISE_HASH_BYTES,
  NOISE_KEY_BYTES,
  NOISE_TAG_BYTES,
  NoiseStateError,
  SymmetricState,
} from "./noise_symmetric.ts";
export {
  NOISE_IK_MESSAGE1_OVERHEAD_BYTES,
  NOISE_IK_MESSAGE2_OVERHEAD_BYTES,
  NOISE_IK_PROTOCOL_NAME,
  NoiseIkHandshake,
  type NoiseIkInitiatorOptions,
  type NoiseIkOptions,
  type NoiseRole,
  type NoiseTransportKeys,
} from "./noise.ts";
export {
  computeMac1,
  computeMac2,
  COOKIE_BYTES,
  COOKIE_NONCE_BYTES,
  COOKIE_SECRET_BYTES,
  COOKIE_SECRET_ROTATE_MS,
  cookieKey,
  CookieSecret,
  cookieSourceForEndpoint,
  cookieSourceForRelay,
  mac1Key,
  MAC_BYTES,
  openCookie,
  sealCookie,
  SEALED_COOKIE_BYTES,
  verifyMac1,
  verifyMac2,
} from "./mac.ts";
