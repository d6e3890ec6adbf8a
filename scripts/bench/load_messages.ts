// The messages between the benchmark process and its load workers (load_worker.ts): setup steps are separate from
// the timed steps, so a rate covers only the requests themselves, measured from the first worker's start to the
// last worker's end on the shared clock `performance.timeOrigin + performance.now()`.

export type LoadRequest =
  /** Generates `count` registry identities (not timed: keygen is the client's cost, not the registry's). */
  | { readonly op: "identities"; readonly count: number }
  /** Opens `connections` RegistryClient connections. */
  | { readonly op: "connect_registry"; readonly address: string; readonly connections: number }
  /** Opens `connections` raw TCP connections to the length-prefixed JSON echo server. */
  | { readonly op: "connect_echo"; readonly address: string; readonly connections: number }
  /** Timed: registers the next `count` prepared identities as public nodes, spread over the connections. */
  | { readonly op: "register"; readonly count: number }
  /** Timed: `count` lookups of random `targets`, each signed by the connection's last registered node. */
  | { readonly op: "lookup"; readonly count: number; readonly targets: readonly number[] }
  /** Timed: `count` request/response round trips of a lookup-shaped frame to the echo server. */
  | { readonly op: "echo"; readonly count: number }
  | { readonly op: "close" };

export interface LoadTiming {
  /** Absolute ms (timeOrigin + now) when the first request was sent. */
  readonly startMs: number;
  /** Absolute ms when the last reply arrived. */
  readonly endMs: number;
  readonly done: number;
}

export type LoadReply =
  | { readonly ok: true; readonly timing?: LoadTiming; readonly nodeIds?: readonly number[] }
  | { readonly ok: false; readonly error: string };

/** A clock shared by the main thread and the workers. */
export function absoluteNowMs(): number {
  return performance.timeOrigin + performance.now();
}
