// Benchmark peer of `crypto_udp_ceiling_MBps`: the receiving end of the minimal encrypt → UDP → decrypt loop. It
// opens every PILS frame with the tunnel's own Keyset, choosing the AEAD path by size exactly as the tunnel does
// (libcrypto through FFI when available, else node:crypto in line below asyncAeadMinBytes() and WebCrypto off-thread
// above it, handled in arrival order), counts
// the authentic frames and reports the count to the sender: every N frames, and at once when asked (a 4-byte query
// carrying its id). Prints `{"port":N}` once bound. Arguments: the receive key as hex, N.
import { asyncAeadMinBytes, Keyset, type OpenResult } from "../../src/tunnel/keyset.ts";
import { decodePils, type PilsFrame } from "../../src/wire/mod.ts";
import { raiseUdpBuffers, type SocketBuffers } from "../../src/net/socket_buffers.ts";
import { UDP_SOCKET_BUFFER_BYTES } from "../../src/net/udp.ts";
import { fromHex, randomBytes } from "../../src/util/bytes.ts";

/** A datagram this long from the sender (u32 query id) asks for the count now; PILS frames are never this short. */
export const QUERY_BYTES = 4;
/** A count report: u32 frames received (authentic), u32 frames rejected, u32 the query answered (0: unsolicited). */
export const REPORT_BYTES = 12;
const MAX_DATAGRAM_BYTES = 65_535;
const TAG_BYTES = 16;

type Item = { readonly query: number; readonly from: Deno.Addr } | { readonly opened: Promise<OpenResult> };

class Receiver {
  readonly #conn: Deno.DatagramConn;
  readonly #keyset: Keyset;
  readonly #reportEvery: number;
  readonly #report = new Uint8Array(REPORT_BYTES);
  readonly #view = new DataView(this.#report.buffer);
  /** Frames opened off-thread and queries behind them, in arrival order. */
  readonly #queue: Item[] = [];
  #draining = false;
  #from: Deno.Addr | null = null;
  #good = 0;
  #bad = 0;

  constructor(conn: Deno.DatagramConn, keyset: Keyset, reportEvery: number) {
    this.#conn = conn;
    this.#keyset = keyset;
    this.#reportEvery = reportEvery;
  }

  async run(): Promise<void> {
    const buf = new Uint8Array(MAX_DATAGRAM_BYTES);
    for (;;) {
      const [data, from] = await this.#conn.receive(buf);
      this.#from = from;
      if (data.length === QUERY_BYTES) {
        const query = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
        if (this.#queue.length > 0) this.#queue.push({ query, from });
        else await this.#send(query, from);
        continue;
      }
      let frame: PilsFrame;
      try {
        frame = decodePils(data.slice());
      } catch {
        this.#bad++;
        continue;
      }
      if (frame.sealed.length - TAG_BYTES >= asyncAeadMinBytes()) {
        this.#queue.push({ opened: this.#keyset.openAsync(frame, performance.now()) });
        if (!this.#draining) this.#drain().catch(() => {});
      } else {
        await this.#count(this.#keyset.open(frame, performance.now()));
      }
    }
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if ("query" in head) await this.#send(head.query, head.from);
        else await this.#count(await head.opened);
        this.#queue.shift();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #count(opened: OpenResult): Promise<void> {
    if (!opened.ok) {
      this.#bad++;
      return;
    }
    if (++this.#good % this.#reportEvery === 0 && this.#from !== null) await this.#send(0, this.#from);
  }

  async #send(query: number, to: Deno.Addr): Promise<void> {
    this.#view.setUint32(0, this.#good);
    this.#view.setUint32(4, this.#bad);
    this.#view.setUint32(8, query);
    await this.#conn.send(this.#report, to);
  }
}

/** A loopback UDP socket with the kernel buffers the tunnel's socket asks for (null buffers: they stayed default). */
export function listenWithTunnelBuffers(): { conn: Deno.DatagramConn; buffers: SocketBuffers | null } {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return { conn, buffers: raiseUdpBuffers((conn.addr as Deno.NetAddr).port, false, UDP_SOCKET_BUFFER_BYTES) };
}

if (import.meta.main) {
  const keyset = new Keyset({
    peerNode: 1,
    localIndex: 2,
    remoteIndex: 1,
    role: "responder",
    createdAtMs: performance.now(),
    sendKey: randomBytes(32),
    receiveKey: fromHex(Deno.args[0] ?? ""),
  });
  // The buffers the tunnel's socket gets; the sender sizes its window from the same request.
  const { conn } = listenWithTunnelBuffers();
  console.log(JSON.stringify({ port: (conn.addr as Deno.NetAddr).port }));
  await new Receiver(conn, keyset, Math.max(1, Number(Deno.args[1] ?? "1"))).run();
}
