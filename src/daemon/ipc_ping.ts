// IPC `ping` (PROTOCOL-BRIEF §7.10; docs/PROTOCOL.md §9.3 addition), used by `traceroute` (CLI.md §3.8): one control
// ping (protocol 0x03) to a node. The target is resolved as for `dial`, trust is checked locally (an untrusted peer
// would drop the ping), a tunnel path is made by the §5.6 strategy, then the ping goes out with `payload_len` bytes.
// `timeout_ms` bounds the whole command, path included.
import type { IpcCommandHandler, IpcResult } from "../ipc/mod.ts";
import { PING_PAYLOAD_MAX_BYTES, PING_TIMEOUT_MS, type PingResult } from "../transport/mod.ts";
import { ConnectionFailedError, InvalidArgumentError, NotTrustedError, toPilotError } from "../util/errors.ts";
import { type Addr, formatAddr, NETWORK_BACKBONE } from "../wire/mod.ts";
import { optIntArg } from "./ipc_args.ts";
import type { ResolvedName } from "./targets.ts";

/** As for `dial`: a bound, not a useful value (the ping itself waits 5 s by default). */
export const IPC_PING_TIMEOUT_MAX_MS = 600_000;
/** Round trips are reported in ms with microsecond resolution. */
const RTT_DECIMALS_SCALE = 1000;

export interface IpcPingDeps {
  readonly ping: (dst: Addr, payload: Uint8Array, timeoutMs: number) => Promise<PingResult>;
  readonly ensurePath: (peer: number, timeoutMs: number) => Promise<void>;
  readonly isTrusted: (node: number) => boolean;
  readonly isMember: (network: number) => boolean;
  readonly resolve: (name: unknown) => Promise<ResolvedName>;
  /** Monotonic ms, for the budget left after the path. */
  readonly monotonic: () => number;
}

/** The `ping` command: {addr, timeout_ms?, payload_len?} → {rtt_ms, bytes}. */
export function pingCommand(d: IpcPingDeps): IpcCommandHandler {
  return async (args, client): Promise<IpcResult> => {
    const target = await d.resolve(args.addr);
    const timeoutMs = optIntArg(args, "timeout_ms", 1, IPC_PING_TIMEOUT_MAX_MS) ?? PING_TIMEOUT_MS;
    const payloadLen = optIntArg(args, "payload_len", 0, PING_PAYLOAD_MAX_BYTES, "too_large") ?? 0;
    const dst = target.addr;
    const text = formatAddr(dst);
    if (dst.network !== NETWORK_BACKBONE && !d.isMember(dst.network)) {
      throw new InvalidArgumentError(`cannot ping ${text}: not a member of network ${dst.network}`);
    }
    if (!d.isTrusted(dst.node)) throw new NotTrustedError(text);
    const startedAt = d.monotonic();
    try {
      await untilClosed(d.ensurePath(dst.node, timeoutMs), client.signal);
    } catch (err) {
      const e = toPilotError(err);
      if (e.detail === "ipc_closed") throw e;
      throw new ConnectionFailedError(`cannot reach ${text}`, {
        detail: e.detail ?? "no_path",
        hint: `pilotctl ping ${text}`,
      });
    }
    const left = Math.max(1, Math.round(timeoutMs - (d.monotonic() - startedAt)));
    const result = await untilClosed(d.ping(dst, new Uint8Array(payloadLen), left), client.signal);
    return { rtt_ms: Math.round(result.rttMs * RTT_DECIMALS_SCALE) / RTT_DECIMALS_SCALE, bytes: result.bytes };
  };
}

/** `promise`, unless the IPC client goes away first. */
function untilClosed<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const closed = () => new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" });
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(closed());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(closed());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
