// Which ports are bound on this node (PROTOCOL-BRIEF §1.4, §8.3): stream and datagram ports are separate
// namespaces; the built-in service ports cannot be bound by applications (CLI.md §3: 7, 444, 1001, 1002, 1003).
import { AlreadyExistsError } from "../util/errors.ts";

export type PortProto = "stream" | "datagram";

/** Ports served by the daemon itself; 1003 (tasks, not in v1) is reserved so it keeps refusing with RST 1. */
export const BUILTIN_PORTS: readonly number[] = [7, 444, 1001, 1002, 1003];

export function portBoundError(port: number): AlreadyExistsError {
  return new AlreadyExistsError(`port ${port} is already bound`, { detail: "port_bound" });
}

export class PortTable {
  readonly #bound = new Set<string>();

  /** Refuses a built-in port (an application may not take it). */
  checkBindable(port: number): void {
    if (BUILTIN_PORTS.includes(port)) throw portBoundError(port);
  }

  add(proto: PortProto, port: number): void {
    this.#bound.add(`${proto}/${port}`);
  }

  remove(proto: PortProto, port: number): void {
    this.#bound.delete(`${proto}/${port}`);
  }

  /** Bound ports of both kinds (`info.ports`). */
  get count(): number {
    return this.#bound.size;
  }
}
