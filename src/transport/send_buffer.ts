// The send buffer (PROTOCOL-BRIEF §7.3, §10: 1 MiB per connection by default): a byte ring holding everything the
// application wrote that the peer has not yet acknowledged. Segments are cut from it at any offset and length, so
// a retransmission may be re-segmented when the path limit changes (§3.5). Offsets count data bytes from the start
// of the stream; the ring starts small and grows up to its capacity.

const INITIAL_RING_BYTES = 16 * 1024;

export class SendBuffer {
  readonly capacity: number;
  #ring: Uint8Array;
  #head = 0;
  #length = 0;
  /** Stream offset of the first byte held (everything before it was acknowledged). */
  #base = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`invalid send buffer capacity ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Uint8Array(Math.min(capacity, INITIAL_RING_BYTES));
  }

  /** Bytes held (unacknowledged, sent or not). */
  get length(): number {
    return this.#length;
  }

  get space(): number {
    return this.capacity - this.#length;
  }

  /** Stream offset of the first byte held. */
  get base(): number {
    return this.#base;
  }

  /** Stream offset one past the last byte written. */
  get end(): number {
    return this.#base + this.#length;
  }

  /** Appends a copy of `data`; the caller keeps `data.length ≤ space`. */
  append(data: Uint8Array): void {
    if (data.length > this.space) {
      throw new RangeError(`cannot buffer ${data.length} bytes: ${this.space} free of ${this.capacity}`);
    }
    this.#ensure(this.#length + data.length);
    const cap = this.#ring.length;
    const tail = (this.#head + this.#length) % cap;
    const first = Math.min(data.length, cap - tail);
    this.#ring.set(data.subarray(0, first), tail);
    if (first < data.length) this.#ring.set(data.subarray(first), 0);
    this.#length += data.length;
  }

  #ensure(needed: number): void {
    if (needed <= this.#ring.length) return;
    let size = this.#ring.length;
    while (size < needed) size *= 2;
    size = Math.min(size, this.capacity);
    const grown = new Uint8Array(size);
    grown.set(this.#copyOut(0, this.#length));
    this.#ring = grown;
    this.#head = 0;
  }

  /** A copy of `length` bytes starting at stream offset `offset` (which must be held). */
  read(offset: number, length: number): Uint8Array {
    const rel = offset - this.#base;
    if (rel < 0 || length < 0 || rel + length > this.#length) {
      throw new RangeError(`cannot read ${length} bytes at offset ${offset}: holding ${this.#base}..${this.end}`);
    }
    return this.#copyOut(rel, length);
  }

  #copyOut(rel: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const cap = this.#ring.length;
    const start = (this.#head + rel) % cap;
    const first = Math.min(length, cap - start);
    out.set(this.#ring.subarray(start, start + first));
    if (first < length) out.set(this.#ring.subarray(0, length - first), first);
    return out;
  }

  /** Drops bytes before stream offset `offset` (they were acknowledged). */
  releaseTo(offset: number): void {
    const n = Math.min(offset - this.#base, this.#length);
    if (n <= 0) return;
    this.#head = (this.#head + n) % this.#ring.length;
    this.#length -= n;
    this.#base += n;
    if (this.#length === 0) this.#head = 0;
  }
}
