// Typed access to a command's parsed arguments and flags. Flag values are converted once, before the handler runs,
// so an invalid value (`--timeout 5x`, `--count abc`) is an invalid_argument error (exit 1), not a usage error.
import { type ConfigOverrides, envValue, parseDurationMs, parseNonNegativeInt } from "../config/mod.ts";
import type { Env } from "../config/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import type { ArgSpec, FlagSpec, FlagType } from "./spec.ts";

/** A flag's text as it appeared: `true` for a bare boolean, a list for a repeatable flag. */
export type RawFlagValue = string | true | string[];
type Scalar = string | number | boolean;
export type FlagSource = "flag" | "env" | "default";

function convert(spec: FlagSpec, text: string | true): Scalar {
  if (spec.type === "boolean") {
    if (text === true || text === "true") return true;
    if (text === "false") return false;
    throw new InvalidArgumentError(`invalid value "${text}" for --${spec.name} (use true or false)`);
  }
  const value = text === true ? "" : text;
  switch (spec.type) {
    case "string":
      return value;
    case "int":
      return parseNonNegativeInt(value, `--${spec.name}`);
    case "duration":
      return parseDurationMs(value);
  }
}

export class FlagValues {
  readonly #specs: ReadonlyMap<string, FlagSpec>;
  readonly #given = new Map<string, Scalar | Scalar[]>();
  readonly #fallback = new Map<string, [Scalar, FlagSource]>();

  /** Converts every given flag (and every env or default fallback); throws InvalidArgumentError on a bad value. */
  constructor(specs: readonly FlagSpec[], raw: ReadonlyMap<string, RawFlagValue>, env: Env) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    for (const spec of specs) {
      const value = raw.get(spec.name);
      if (value !== undefined) {
        this.#given.set(spec.name, Array.isArray(value) ? value.map((v) => convert(spec, v)) : convert(spec, value));
        continue;
      }
      const fromEnv = spec.env === undefined ? undefined : envValue(env, spec.env);
      if (fromEnv !== undefined) this.#fallback.set(spec.name, [convert(spec, fromEnv), "env"]);
      else if (spec.default !== undefined) {
        const d = spec.default;
        this.#fallback.set(spec.name, [typeof d === "string" ? convert(spec, d) : d, "default"]);
      }
    }
  }

  #spec(name: string, type?: FlagType): FlagSpec {
    const spec = this.#specs.get(name);
    if (spec === undefined) throw new Error(`no flag --${name} in this command's spec`);
    if (type !== undefined && spec.type !== type) throw new Error(`flag --${name} is ${spec.type}, not ${type}`);
    return spec;
  }

  #value(name: string, type: FlagType): Scalar | undefined {
    const spec = this.#spec(name, type);
    const given = this.#given.get(name);
    if (given !== undefined) return Array.isArray(given) ? given[given.length - 1] : given;
    if (spec.repeatable) return undefined;
    return this.#fallback.get(name)?.[0];
  }

  /** The flag was on the command line. */
  has(name: string): boolean {
    this.#spec(name);
    return this.#given.has(name);
  }

  /** Where the value comes from; undefined when there is none. */
  source(name: string): FlagSource | undefined {
    this.#spec(name);
    if (this.#given.has(name)) return "flag";
    return this.#fallback.get(name)?.[1];
  }

  string(name: string): string | undefined {
    return this.#value(name, "string") as string | undefined;
  }

  boolean(name: string): boolean {
    return (this.#value(name, "boolean") as boolean | undefined) ?? false;
  }

  int(name: string): number | undefined {
    return this.#value(name, "int") as number | undefined;
  }

  durationMs(name: string): number | undefined {
    return this.#value(name, "duration") as number | undefined;
  }

  /** Every value of a repeatable string flag, in order. */
  list(name: string): string[] {
    this.#spec(name, "string");
    const given = this.#given.get(name);
    if (given === undefined) return [];
    return (Array.isArray(given) ? given : [given]) as string[];
  }

  /** The flags given on the command line that override config keys (`--registry` → `registry`). */
  configOverrides(): ConfigOverrides {
    const out: Record<string, string | boolean | number> = {};
    for (const spec of this.#specs.values()) {
      const given = this.#given.get(spec.name);
      if (spec.configKey !== undefined && given !== undefined && !Array.isArray(given)) out[spec.configKey] = given;
    }
    return out as ConfigOverrides;
  }
}

export class ArgValues {
  readonly #values: ReadonlyMap<string, string | string[]>;
  readonly #specs: readonly ArgSpec[];

  constructor(specs: readonly ArgSpec[], values: ReadonlyMap<string, string | string[]>) {
    this.#specs = specs;
    this.#values = values;
  }

  #spec(name: string): ArgSpec {
    const spec = this.#specs.find((s) => s.name === name);
    if (spec === undefined) throw new Error(`no argument <${name}> in this command's spec`);
    return spec;
  }

  /** A single argument, its default when absent, or undefined. */
  get(name: string): string | undefined {
    const spec = this.#spec(name);
    const value = this.#values.get(name);
    if (Array.isArray(value)) return value[0];
    return value ?? spec.default;
  }

  /** An argument that the parser guarantees (required, or with a default). */
  require(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw new Error(`argument <${name}> is missing`);
    return value;
  }

  /** Every value of a variadic argument. */
  list(name: string): string[] {
    this.#spec(name);
    const value = this.#values.get(name);
    if (value === undefined) return [];
    return Array.isArray(value) ? [...value] : [value];
  }
}
