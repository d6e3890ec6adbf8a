// JSON Canonicalization Scheme (RFC 8785) for the integer-only messages we sign: keys sorted by UTF-16 code units,
// no whitespace, ECMAScript number and string serialisation (PROTOCOL-BRIEF §4.2).

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Canonical JSON text of a value. Throws on values JSON cannot represent (NaN, Infinity, undefined, functions). */
export function canonicalJson(value: unknown): string {
  return serialise(value, 0);
}

const MAX_DEPTH = 64;

function serialise(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error("canonical JSON: nesting too deep");
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new Error("canonical JSON: non-finite number");
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return "[" + value.map((v) => serialise(v, depth + 1)).join(",") + "]";
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, exactly what RFC 8785 asks for.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + serialise(obj[k], depth + 1)).join(",") + "}";
    }
    default:
      throw new Error(`canonical JSON: cannot serialise ${typeof value}`);
  }
}
