// Event topics and subscription patterns (PROTOCOL-BRIEF §9.3, CLI.md §3.6). A topic is 1–128 bytes of `[a-z0-9_-]`
// segments joined by single dots. In a pattern `*` matches exactly one segment, a final `**` one or more, and `*`
// alone every topic: `a.*` matches `a.b` but not `a.b.c`; `a.**` matches both but not `a`.

export const TOPIC_MAX_CHARS = 128;
const SEGMENT_RE = /^[a-z0-9_-]+$/;
const ONE_SEGMENT = "*";
const MANY_SEGMENTS = "**";

export function isValidTopic(topic: string): boolean {
  if (topic.length === 0 || topic.length > TOPIC_MAX_CHARS) return false;
  return topic.split(".").every((s) => SEGMENT_RE.test(s));
}

export function isValidPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > TOPIC_MAX_CHARS) return false;
  const segments = pattern.split(".");
  return segments.every((s, i) =>
    SEGMENT_RE.test(s) || s === ONE_SEGMENT || (s === MANY_SEGMENTS && i === segments.length - 1)
  );
}

/** A checked pattern, split once so matching a publish costs no parsing. */
export class TopicPattern {
  readonly text: string;
  readonly #segments: readonly string[];
  readonly #all: boolean;
  readonly #tail: boolean;

  private constructor(text: string) {
    this.text = text;
    this.#segments = text.split(".");
    this.#all = text === ONE_SEGMENT;
    this.#tail = this.#segments[this.#segments.length - 1] === MANY_SEGMENTS;
  }

  /** Null when `text` is not a valid pattern. */
  static parse(text: string): TopicPattern | null {
    return isValidPattern(text) ? new TopicPattern(text) : null;
  }

  /** Whether a (valid) topic matches. */
  matches(topic: string): boolean {
    if (this.#all) return true;
    const parts = topic.split(".");
    const fixed = this.#tail ? this.#segments.length - 1 : this.#segments.length;
    // A final `**` needs at least one segment of its own.
    if (this.#tail ? parts.length < fixed + 1 : parts.length !== fixed) return false;
    for (let i = 0; i < fixed; i++) {
      const s = this.#segments[i];
      if (s !== ONE_SEGMENT && s !== parts[i]) return false;
    }
    return true;
  }
}

/** Whether `pattern` matches `topic` (false for an invalid pattern). */
export function topicMatches(pattern: string, topic: string): boolean {
  return TopicPattern.parse(pattern)?.matches(topic) ?? false;
}
