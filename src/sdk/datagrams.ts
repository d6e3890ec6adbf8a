// Datagrams of the SDK (PROTOCOL-BRIEF §7.10, §8.2): a bound datagram port as an async iterable of what arrives
// (unordered, lossy, trust required), able to send from that port so replies come back to it. Sending to
// `N:NNNN.FFFF.FFFF` (N ≠ 0, a network we are a member of) is a broadcast: one copy per trusted member.
import type { IpcClient, IpcDatagram } from "../ipc/mod.ts";
import { formatAddr } from "../wire/mod.ts";
import { isGone, sdkError } from "./errors.ts";
import { resolveTarget } from "./target.ts";
import type { Datagram } from "./types.ts";

/** Sends one datagram from `fromPort` (0: this client's ephemeral port). */
export async function sendDatagramVia(
  ipc: IpcClient,
  target: string,
  port: number,
  data: Uint8Array,
  fromPort = 0,
): Promise<void> {
  const t = await resolveTarget(ipc, target).catch((err) => {
    throw sdkError(err);
  });
  try {
    await ipc.sendto({ localPort: fromPort, remote: t.addr, remotePort: port, data });
  } catch (err) {
    throw sdkError(err, t.address);
  }
}

/** A bound datagram port. Iterate it for datagrams; close() unbinds it and ends the iteration. */
export class DatagramPort implements AsyncIterable<Datagram>, AsyncDisposable {
  readonly port: number;
  readonly #ipc: IpcClient;
  readonly #reader: ReadableStreamDefaultReader<IpcDatagram>;
  #closing: Promise<void> | null = null;

  /** @internal built by PilotClient.datagrams() */
  constructor(ipc: IpcClient, port: number) {
    this.#ipc = ipc;
    this.port = port;
    this.#reader = ipc.openDatagrams(port).getReader();
  }

  /** Sends from this port, so the peer's replies arrive here. */
  async send(target: string, port: number, data: Uint8Array): Promise<void> {
    await sendDatagramVia(this.#ipc, target, port, data, this.port);
  }

  /** The next datagram, or null once the port is closed. */
  async receive(): Promise<Datagram | null> {
    let r: ReadableStreamReadResult<IpcDatagram>;
    try {
      r = await this.#reader.read();
    } catch (err) {
      if (this.#closing !== null) return null;
      throw sdkError(err);
    }
    if (r.done) return null;
    const dg = r.value;
    return { from: formatAddr(dg.remote), fromPort: dg.remotePort, port: this.port, data: dg.data };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Datagram> {
    for (;;) {
      const dg = await this.receive();
      if (dg === null) return;
      yield dg;
    }
  }

  /** Unbinds the port. */
  close(): Promise<void> {
    this.#closing ??= this.#unbind();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #unbind(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    try {
      await this.#ipc.request("unbind", { port: this.port, proto: "datagram" });
    } catch (err) {
      if (!isGone(err)) throw sdkError(err);
    }
  }
}
