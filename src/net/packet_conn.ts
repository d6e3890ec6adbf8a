// The I/O seam between the node and the network (STYLE: net/): one datagram socket as the daemon sees it. The real
// UDP socket (Deno.listenDatagram) and the simulated network of the tests both implement it, so everything above
// this line runs unchanged over either.

/** A UDP-level address: an IP literal (or simulated host name) and a port. */
export interface NetAddr {
  readonly hostname: string;
  readonly port: number;
}

/** One received datagram and where it came from. */
export type Datagram = readonly [data: Uint8Array, from: NetAddr];

export interface PacketConn extends AsyncDisposable {
  /** The bound local address (the real port when bound to port 0). */
  readonly localAddr: NetAddr;
  /**
   * Sends one datagram. Resolves once handed to the network; a send error (unreachable, closed) rejects. Delivery is
   * never confirmed: datagrams may be lost, duplicated or reordered.
   */
  send(data: Uint8Array, to: NetAddr): Promise<void>;
  /**
   * The next datagram, or null once the socket is closed. The returned bytes belong to the caller. One reader at a
   * time: a second concurrent call waits behind the first.
   */
  receive(): Promise<Datagram | null>;
  /** Closes the socket; a pending receive() resolves with null. Idempotent. */
  close(): Promise<void>;
  /** The kernel's receive buffer in bytes when known (a real socket whose buffers were raised); else absent/null. */
  readonly receiveBufferBytes?: number | null;
}
