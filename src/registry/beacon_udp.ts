// The beacon's real UDP socket (PROTOCOL-BRIEF §5): Deno.listenDatagram plus the receive loop that feeds each
// datagram to a handler. Datagrams above 65,507 bytes cannot arrive over UDP/IPv4; the loop owns its lifetime
// through an AbortController so close() stops and awaits it.
import type { Logger } from "../log/logger.ts";
import type { DatagramSink, UdpAddr } from "./beacon.ts";

const MAX_CONSECUTIVE_RECEIVE_ERRORS = 1000;

export type DatagramHandler = (data: Uint8Array, from: UdpAddr) => Promise<void>;

export class UdpBeaconSocket implements DatagramSink {
  readonly #conn: Deno.DatagramConn;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #sendErrors = 0;

  private constructor(conn: Deno.DatagramConn, log: Logger) {
    this.#conn = conn;
    this.#log = log;
  }

  /** Binds the socket; Deno.errors.AddrInUse propagates for the caller to word. */
  static bind(hostname: string, port: number, log: Logger): UdpBeaconSocket {
    const conn = Deno.listenDatagram({ transport: "udp", hostname, port });
    return new UdpBeaconSocket(conn, log);
  }

  get addr(): Deno.NetAddr {
    return this.#conn.addr as Deno.NetAddr;
  }

  get sendErrors(): number {
    return this.#sendErrors;
  }

  send(bytes: Uint8Array, to: UdpAddr): void {
    if (this.#abort.signal.aborted) return;
    this.#conn.send(bytes, { transport: "udp", hostname: to.hostname, port: to.port }).then(
      () => {},
      (err: unknown) => {
        this.#sendErrors++;
        this.#log.limited("debug", "send_error", "beacon send failed", {
          error: err instanceof Error ? err.message : String(err),
        });
      },
    );
  }

  /** Starts the receive loop; each datagram is handled before the next is read. */
  start(handler: DatagramHandler): void {
    if (this.#loop !== null) throw new Error("beacon socket already started");
    this.#loop = this.#run(handler);
  }

  async #run(handler: DatagramHandler): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await this.#conn.receive();
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        // ICMP errors surface as receive failures on some platforms; the socket itself is still usable. A socket
        // that only fails is broken: stop rather than spin.
        this.#log.limited("debug", "receive_error", "beacon receive failed", {
          error: err instanceof Error ? err.message : String(err),
        });
        if (err instanceof Deno.errors.BadResource || ++failures >= MAX_CONSECUTIVE_RECEIVE_ERRORS) {
          this.#log.error("beacon socket stopped receiving", {
            error: err instanceof Error ? err.message : String(err),
          });
          return;
        }
        continue;
      }
      if (from.transport !== "udp") continue;
      await handler(data, { hostname: from.hostname, port: from.port });
    }
  }

  async close(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#loop;
  }
}
