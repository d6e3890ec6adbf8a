// Loopback helpers for registry integration tests: a registry on 127.0.0.1 port 0, clients, raw frame sockets and
// a UDP "daemon" socket that talks to the beacon. Every wait is bounded and ends on a signal, never a fixed sleep.
import { generateIdentity, type Identity } from "../../src/crypto/identity.ts";
import { encodeRegistryFrame, FrameReader, parseJsonBody } from "../../src/wire/mod.ts";
import { RegistryClient, type RegistryClientOptions } from "../../src/registry/client.ts";
import type { RegistryLimits } from "../../src/registry/limits.ts";
import { type RegistryHandle, type RegistryOptions, startRegistry } from "../../src/registry/server.ts";
import { LIMITS_OFF, quietLogger } from "./helpers.ts";

export type Json = Record<string, unknown>;

export function startTestRegistry(
  opts: Partial<RegistryOptions> & { limits?: RegistryLimits } = {},
): Promise<RegistryHandle> {
  return startRegistry({
    listen: "127.0.0.1:0",
    beaconListen: "127.0.0.1:0",
    store: ":memory:",
    limits: LIMITS_OFF,
    logger: quietLogger(),
    ...opts,
  });
}

export function addressOf(reg: RegistryHandle): string {
  return `127.0.0.1:${reg.registryAddr.port}`;
}

export function connectClient(
  reg: RegistryHandle,
  extra: Partial<RegistryClientOptions> = {},
): Promise<RegistryClient> {
  return RegistryClient.connect({ address: addressOf(reg), ...extra });
}

/** A connected client registered with a fresh (or given) identity. */
export async function registeredClient(
  reg: RegistryHandle,
  args: { hostname?: string; public?: boolean } = {},
  identity: Identity = generateIdentity(),
  extra: Partial<RegistryClientOptions> = {},
): Promise<{ client: RegistryClient; identity: Identity; nodeId: number }> {
  const client = await connectClient(reg, extra);
  const ok = await client.register(identity, { listenPort: 4000, ...args });
  return { client, identity, nodeId: ok.node_id };
}

/** A raw TCP connection speaking frames, for malformed input and replays. */
export class RawConn {
  readonly #conn: Deno.Conn;
  readonly #reader = new FrameReader();
  readonly #buf = new Uint8Array(64 * 1024);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(reg: RegistryHandle): Promise<RawConn> {
    return new RawConn(await Deno.connect({ hostname: "127.0.0.1", port: reg.registryAddr.port }));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  send(obj: Json): Promise<void> {
    return this.write(encodeRegistryFrame(obj));
  }

  /** The next frame as JSON, or null at end of stream; rejects after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<Json | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.#reader.next();
      if (f.kind === "frame") {
        const parsed = parseJsonBody(f.body);
        if (!parsed.ok) throw new Error(`server sent a malformed frame: ${parsed.reason}`);
        return parsed.value;
      }
      if (f.kind === "too_large") throw new Error("server sent a bad frame length");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a frame");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.#conn.read(this.#buf),
        new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), left)),
      ]).finally(() => clearTimeout(timer));
      if (n === "timeout") throw new Error("timed out waiting for a frame");
      if (n === null) return null;
      this.#reader.push(this.#buf.subarray(0, n));
    }
  }

  /** Sends and returns the reply. */
  async request(obj: Json): Promise<Json> {
    await this.send(obj);
    const reply = await this.next();
    if (reply === null) throw new Error("connection closed before the reply");
    return reply;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** A UDP socket standing in for a daemon's tunnel socket. */
export class UdpPeer {
  readonly conn: Deno.DatagramConn;
  constructor() {
    this.conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  }
  get port(): number {
    return (this.conn.addr as Deno.NetAddr).port;
  }
  async send(bytes: Uint8Array, port: number): Promise<void> {
    await this.conn.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
  }
  /** The next datagram; rejects after `timeoutMs`. */
  async receive(timeoutMs = 5_000): Promise<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await Promise.race([
      this.conn.receive(),
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), timeoutMs)),
    ]).finally(() => clearTimeout(timer));
    if (got === null) throw new Error("timed out waiting for a datagram");
    return got[0];
  }
  close(): void {
    this.conn.close();
  }
}
