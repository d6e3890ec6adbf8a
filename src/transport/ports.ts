// Port numbers (PROTOCOL-BRIEF §1.4): range checks and the ephemeral draw — uniformly random in 49152–65535,
// skipping ports in use (for streams this includes tuples still in TIME_WAIT), failing after 64 draws with
// `already_exists` detail `no_ephemeral_port`.
import { AlreadyExistsError, InvalidArgumentError } from "../util/errors.ts";
import { EPHEMERAL_DRAWS_MAX, EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN } from "./constants.ts";

export const PORT_MAX = 0xffff;

/** Uniform in [0, 1) from the platform CSPRNG. */
export function cryptoRandom(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] / 0x1_0000_0000;
}

/** Draws a free ephemeral port; `inUse` says which ports to skip. */
export function drawEphemeralPort(inUse: (port: number) => boolean, random: () => number = cryptoRandom): number {
  const span = EPHEMERAL_PORT_MAX - EPHEMERAL_PORT_MIN + 1;
  for (let i = 0; i < EPHEMERAL_DRAWS_MAX; i++) {
    const port = EPHEMERAL_PORT_MIN + Math.min(span - 1, Math.floor(random() * span));
    if (!inUse(port)) return port;
  }
  throw new AlreadyExistsError("cannot allocate an ephemeral port: all draws were in use", {
    detail: "no_ephemeral_port",
    hint: "close unused connections or ports",
  });
}

/** A port a stream or datagram socket can bind: 0 (ephemeral) or 1–65535. */
export function checkBindPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > PORT_MAX) {
    throw new InvalidArgumentError(`invalid port ${port}: want 0-${PORT_MAX}`, { detail: "port_range" });
  }
}

/** A destination port: 1–65535 (port 0 belongs to the control ping). */
export function checkRemotePort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > PORT_MAX) {
    throw new InvalidArgumentError(`invalid port ${port}: want 1-${PORT_MAX}`, { detail: "port_range" });
  }
}
