// Reaching the registry (PROTOCOL-BRIEF §4.1, §4.5): `host:port` / `tcp://` / `tls://` addresses, a connect timeout,
// and the reconnect schedule 0.5, 1, 2, 4, 8… s capped at 30 s.
import { ConnectionFailedError, InvalidArgumentError, PilotError, TimeoutError } from "../util/errors.ts";

export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

export interface RegistryAddress {
  readonly tls: boolean;
  readonly hostname: string;
  readonly port: number;
}

/** Parses `host:port`, `tcp://host:port`, `tls://host:port` (IPv6 hosts in brackets). */
export function parseRegistryAddress(text: string): RegistryAddress {
  const bad = (why: string) =>
    new InvalidArgumentError(`invalid registry address "${text}": ${why}`, { detail: "bad_address" });
  let rest = text;
  let tls = false;
  if (rest.startsWith("tls://")) {
    tls = true;
    rest = rest.slice(6);
  } else if (rest.startsWith("tcp://")) {
    rest = rest.slice(6);
  } else if (rest.includes("://")) {
    throw bad("the scheme must be tcp:// or tls://");
  }
  const colon = rest.lastIndexOf(":");
  if (colon <= 0) throw bad("want host:port");
  const portText = rest.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 0xffff) throw bad("bad port");
  let hostname = rest.slice(0, colon);
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  else if (hostname.includes(":")) throw bad("put an IPv6 host in brackets");
  if (hostname === "" || /[\s/]/.test(hostname)) throw bad("bad host");
  return { tls, hostname, port: Number(portText) };
}

function unreachable(address: string, err: unknown): PilotError {
  if (err instanceof PilotError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new ConnectionFailedError(`cannot reach registry at ${address}: ${why}`, {
    detail: "registry_unreachable",
    hint: "start one with: pilotctl registry run, or set PILOT_REGISTRY",
  });
}

/** Opens the socket (TLS handshake included) within `timeoutMs`. */
export async function connectRegistrySocket(
  address: string,
  caCerts: readonly string[] | undefined,
  timeoutMs: number,
): Promise<Deno.Conn> {
  const a = parseRegistryAddress(address);
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(
        new TimeoutError(`cannot reach registry at ${address} within ${timeoutMs} ms`, {
          detail: "registry_unreachable",
        }),
      );
    }, timeoutMs);
  });
  const attempt = (async (): Promise<Deno.Conn> => {
    if (!a.tls) return await Deno.connect({ hostname: a.hostname, port: a.port, signal: abort.signal });
    const conn = await Deno.connectTls({
      hostname: a.hostname,
      port: a.port,
      caCerts: caCerts === undefined ? undefined : [...caCerts],
    });
    try {
      await conn.handshake();
    } catch (err) {
      conn.close();
      throw err;
    }
    if (abort.signal.aborted) {
      conn.close();
      throw new TimeoutError(`cannot reach registry at ${address} within ${timeoutMs} ms`);
    }
    return conn;
  })();
  // A connect that completes after the timeout is closed by the attempt itself (aborted signal).
  attempt.catch(() => {});
  try {
    return await Promise.race([attempt, timeout]);
  } catch (err) {
    throw unreachable(address, err);
  } finally {
    clearTimeout(timer);
  }
}

/** Delay before reconnect attempt `attempt` (0-based): 0.5, 1, 2, 4, 8… s, at most 30 s. */
export function reconnectDelayMs(attempt: number): number {
  if (attempt < 0) return RECONNECT_BASE_MS;
  return Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 16));
}

export interface BackoffOptions {
  readonly signal?: AbortSignal;
  /** Give up after this many failed attempts (default: never). */
  readonly maxAttempts?: number;
  readonly onRetry?: (attempt: number, delayMs: number, err: PilotError) => void;
  /** Injected wait, for tests; resolves after `ms` or when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, waiting reconnectDelayMs(n) between failures. Only `connection_failed` and
 * `timeout` are retried; anything else (a refused key, a bad address) is thrown at once, as is the last error when
 * `maxAttempts` runs out or `signal` aborts.
 */
export async function withBackoff<T>(attempt: () => Promise<T>, opts: BackoffOptions = {}): Promise<T> {
  const sleep = opts.sleep ?? sleepMs;
  for (let n = 0;; n++) {
    try {
      return await attempt();
    } catch (raw) {
      const err = raw instanceof PilotError ? raw : unreachable("registry", raw);
      const retryable = err.code === "connection_failed" || err.code === "timeout";
      if (!retryable || opts.signal?.aborted || (opts.maxAttempts !== undefined && n + 1 >= opts.maxAttempts)) {
        throw err;
      }
      const delay = reconnectDelayMs(n);
      opts.onRetry?.(n, delay, err);
      await sleep(delay, opts.signal);
      if (opts.signal?.aborted) throw err;
    }
  }
}
