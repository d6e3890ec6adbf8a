// `--ports` of the gateway (CLI.md §3.9): a comma-separated list of TCP ports served on every mapped IP, each one the
// same pilot port on the agent; and the privilege rule for ports below 1024.
import { parsePort } from "../config/mod.ts";
import { InvalidArgumentError, UnauthorizedError } from "../util/errors.ts";

export const DEFAULT_GATEWAY_PORTS = "80";
/** Every port is a listener per mapping: keep the product bounded. */
export const GATEWAY_PORTS_MAX = 32;
/** Ports up to this need privilege on Unix (root, or CAP_NET_BIND_SERVICE on Linux). */
export const PRIVILEGED_PORT_MAX = 1023;
export const PORT_PRIVILEGE_HINT = "use a port ≥ 1024, or run with sudo";

/** `80,443` → [80, 443]; a bad, duplicate or surplus port is invalid_argument naming the list. */
export function parsePortList(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length > GATEWAY_PORTS_MAX) {
    throw new InvalidArgumentError(`invalid --ports "${text}": too many ports (max ${GATEWAY_PORTS_MAX})`);
  }
  const ports: number[] = [];
  for (const part of parts) {
    let port: number;
    try {
      port = parsePort(part);
    } catch {
      throw new InvalidArgumentError(`invalid --ports "${text}": port must be 1-65535`);
    }
    if (ports.includes(port)) throw new InvalidArgumentError(`invalid --ports "${text}": duplicate port ${port}`);
    ports.push(port);
  }
  return ports;
}

/** `80,443`, as shown in the ready block. */
export function formatPortList(ports: readonly number[]): string {
  return ports.join(",");
}

export function portPrivilegeError(port: number, detail?: string): UnauthorizedError {
  const why = detail === undefined ? "" : `: ${detail}`;
  return new UnauthorizedError(`cannot listen on port ${port}: ports below 1024 need privilege${why}`, {
    hint: PORT_PRIVILEGE_HINT,
    detail: "privileged_port",
  });
}

/** What the privilege probe needs: the uid (null where there is none) and a way to try a bind. */
export interface PortProbe {
  readonly uid: number | null;
  /** Binds and closes at once; throws what Deno.listen throws. */
  tryListen(hostname: string, port: number): void;
}

export const denoPortProbe: PortProbe = {
  get uid() {
    return Deno.uid();
  },
  tryListen(hostname, port) {
    Deno.listen({ transport: "tcp", hostname, port }).close();
  },
};

/**
 * Fails early when a port below 1024 cannot be bound. Root passes; otherwise one bind is tried on `hostname` (Linux
 * may allow it through ip_unprivileged_port_start or a capability): only a permission error counts, anything else
 * (the address is busy or not yet there) is left to the real listener.
 */
export function checkPortPrivilege(ports: readonly number[], hostname: string, probe: PortProbe = denoPortProbe): void {
  const low = ports.filter((p) => p <= PRIVILEGED_PORT_MAX);
  if (low.length === 0 || probe.uid === 0) return;
  for (const port of low) {
    try {
      probe.tryListen(hostname, port);
    } catch (err) {
      if (err instanceof Deno.errors.PermissionDenied) throw portPrivilegeError(port);
    }
  }
}
