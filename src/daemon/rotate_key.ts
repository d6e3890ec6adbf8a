// Daemon-side key rotation (PROTOCOL-BRIEF §4.4 `rotate_key`, CLI.md §3.3 rotate-key): a new Ed25519 key is accepted by
// the registry on a request signed by the old key and by the new one; only then is identity.json replaced atomically,
// the previous file kept as identity.json.old. The X25519 static key stays and is bound anew by the new key (a newer
// `noise_issued_at`), so peers that still hold our static key can handshake with us at once; the tunnel is rebuilt
// with the new binding and peers re-handshake, those that pinned the old key following the registry's key chain.
import { writeFileAtomic } from "../config/mod.ts";
import {
  ed25519Sign,
  encodeIdentityFile,
  generateEd25519,
  type Identity,
  noiseBindingBytes,
  saveIdentity,
} from "../crypto/mod.ts";
import type { IpcResult } from "../ipc/mod.ts";
import type { Logger } from "../log/logger.ts";
import { toBase64 } from "../util/bytes.ts";
import type { Clock } from "../util/clock.ts";
import { InternalError, toPilotError } from "../util/errors.ts";
import type { NodeParts } from "./node_parts.ts";
import type { RegistrySession } from "./registry_session.ts";

export const PREVIOUS_IDENTITY_SUFFIX = ".old";

export class KeyRotator {
  readonly #session: RegistrySession;
  readonly #clock: Clock;
  readonly #log: Logger;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(session: RegistrySession, clock: Clock, log: Logger) {
    this.#session = session;
    this.#clock = clock;
    this.#log = log;
  }

  /** Rotates once; concurrent calls run one after the other. */
  rotate(parts: NodeParts): Promise<IpcResult> {
    const run = this.#tail.then(() => this.#rotate(parts));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #rotate(parts: NodeParts): Promise<IpcResult> {
    const { state, settings } = parts;
    const previous = state.identity;
    const next = successor(previous, this.#clock);
    // Refused (unauthorized, unreachable): nothing changed and the old key stays in use.
    const ok = await this.#session.require().rotateKey(next);
    const path = settings.identityPath;
    try {
      await writeFileAtomic(path + PREVIOUS_IDENTITY_SUFFIX, encodeIdentityFile(previous));
      await saveIdentity(path, next, { overwrite: true });
    } catch (err) {
      const why = toPilotError(err).message;
      this.#log.error("the registry accepted the new key but it could not be saved", { path, error: why });
      throw new InternalError(`key rotated in the registry but ${path} could not be written: ${why}`, {
        hint: `free disk space, then restart the daemon; the previous key is in ${path}${PREVIOUS_IDENTITY_SUFFIX}`,
      });
    }
    state.setIdentity(next);
    await parts.plane.replaceIdentity(next);
    parts.beacon.refresh();
    this.#log.info("identity key rotated", { node: state.nodeId });
    return {
      node_id: ok.node_id,
      address: ok.address,
      public_key: ok.public_key,
      previous_public_key: toBase64(previous.publicKey),
    };
  }
}

/** The next identity: a new Ed25519 key binding the same X25519 static key at a later time. */
export function successor(previous: Identity, clock: Clock): Identity {
  const ed = generateEd25519();
  const issuedAt = Math.max(Math.floor(clock.now()), previous.noiseIssuedAt + 1);
  return {
    seed: ed.seed,
    publicKey: ed.publicKey,
    noisePrivateKey: previous.noisePrivateKey,
    noisePublicKey: previous.noisePublicKey,
    noiseIssuedAt: issuedAt,
    noiseSig: ed25519Sign(ed.seed, noiseBindingBytes(previous.noisePublicKey, issuedAt)),
  };
}
