// The per-peer outbound queue used while no usable keyset exists (PROTOCOL-BRIEF §3.3, §10): at most 64 packets and
// 256 KiB; the oldest packets make room for new ones. Packets here are plaintext in memory only — they leave the
// node solely inside PILS once a keyset is confirmed.
import { PEER_QUEUE_MAX_BYTES, PEER_QUEUE_MAX_PACKETS } from "./constants.ts";

export class PendingQueue {
  readonly #maxPackets: number;
  readonly #maxBytes: number;
  #items: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxPackets = PEER_QUEUE_MAX_PACKETS, maxBytes = PEER_QUEUE_MAX_BYTES) {
    this.#maxPackets = maxPackets;
    this.#maxBytes = maxBytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends a packet; returns how many older packets were dropped to make room. A packet larger than the whole byte
   * budget is itself dropped (counted in the return value) and the queue is left as it was.
   */
  push(packet: Uint8Array): number {
    if (packet.length > this.#maxBytes) return 1;
    let dropped = 0;
    while (this.length >= this.#maxPackets || this.#bytes + packet.length > this.#maxBytes) {
      this.#shift();
      dropped++;
    }
    this.#items.push(packet);
    this.#bytes += packet.length;
    return dropped;
  }

  /** Removes and returns everything, oldest first. */
  drain(): Uint8Array[] {
    const out = this.#items.slice(this.#head);
    this.clear();
    return out;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #shift(): void {
    const first = this.#items[this.#head];
    this.#items[this.#head] = EMPTY;
    this.#head++;
    this.#bytes -= first.length;
    // Compact once the consumed prefix dominates, keeping shift O(1) amortised.
    if (this.#head > 32 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
