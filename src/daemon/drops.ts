// The daemon's one drop-counter registry (PROTOCOL-BRIEF preamble: every silent drop increments
// `pilot_drops_total{reason}`). The daemon's own parts count here; the tunnel keeps its own DropCounter, which is
// attached as a source and, when a tunnel is replaced (key rotation), absorbed so no count is lost.

/** Reads another component's counters (the tunnel's `drops()`). */
export type DropSource = () => Readonly<Record<string, number>>;

/** Reason labels are short identifiers; anything else is folded into one label so the metric stays bounded. */
const REASON_RE = /^[a-z0-9_]{1,48}$/;
const OTHER_REASON = "other";

export class DropRegistry {
  readonly #counts = new Map<string, number>();
  readonly #sources = new Set<DropSource>();

  /** Counts `n` drops for `reason`. */
  add(reason: string, n = 1): void {
    const label = REASON_RE.test(reason) ? reason : OTHER_REASON;
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + n);
  }

  /** Adds a live source of counters; returns the detach function. */
  attach(source: DropSource): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }

  /** Copies a source's final counts into this registry and detaches it (a tunnel about to be closed). */
  absorb(source: DropSource): void {
    for (const [reason, n] of Object.entries(source())) this.add(reason, n);
    this.#sources.delete(source);
  }

  /** Total drops for one reason, over this registry and every attached source. */
  get(reason: string): number {
    return this.snapshot()[reason] ?? 0;
  }

  /** Every reason counted so far with its total, keys sorted. */
  snapshot(): Record<string, number> {
    const merged = new Map(this.#counts);
    for (const source of this.#sources) {
      for (const [reason, n] of Object.entries(source())) merged.set(reason, (merged.get(reason) ?? 0) + n);
    }
    const out: Record<string, number> = {};
    for (const reason of [...merged.keys()].sort()) out[reason] = merged.get(reason)!;
    return out;
  }

  /** The Prometheus text lines of `pilot_drops_total`. */
  prometheusLines(): string[] {
    const lines = ["# TYPE pilot_drops_total counter"];
    for (const [reason, n] of Object.entries(this.snapshot())) lines.push(`pilot_drops_total{reason="${reason}"} ${n}`);
    return lines;
  }
}
