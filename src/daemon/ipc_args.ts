// Reading IPC request arguments (PROTOCOL-BRIEF §8.3): each value is checked for type and range before use, and a
// bad one is `invalid_argument` naming the field and quoting the value (§8.4).
import type { IpcArgs } from "../ipc/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";

const SHOWN_MAX_CHARS = 64;

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_MAX_CHARS ? `${text.slice(0, SHOWN_MAX_CHARS)}…` : text;
}

function bad(name: string, value: unknown, want: string, detail = "bad_argument"): InvalidArgumentError {
  return new InvalidArgumentError(`invalid ${name} ${shown(value)}: ${want}`, { detail });
}

export function intArg(args: IpcArgs, name: string, min: number, max: number, detail?: string): number {
  const value = args[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw bad(name, value, `expected an integer from ${min} to ${max}`, detail);
  }
  return value;
}

export function optIntArg(args: IpcArgs, name: string, min: number, max: number, detail?: string): number | undefined {
  return args[name] === undefined ? undefined : intArg(args, name, min, max, detail);
}

export function strArg(args: IpcArgs, name: string, maxChars = 4096): string {
  const value = args[name];
  if (typeof value !== "string" || value.length > maxChars) throw bad(name, value, "expected a string");
  return value;
}

export function optStrArg(args: IpcArgs, name: string, maxChars = 4096): string | undefined {
  return args[name] === undefined ? undefined : strArg(args, name, maxChars);
}

export function boolArg(args: IpcArgs, name: string): boolean {
  const value = args[name];
  if (typeof value !== "boolean") throw bad(name, value, "expected true or false");
  return value;
}

export function optBoolArg(args: IpcArgs, name: string): boolean | undefined {
  return args[name] === undefined ? undefined : boolArg(args, name);
}

export function strListArg(args: IpcArgs, name: string, maxItems: number): string[] {
  const value = args[name];
  if (!Array.isArray(value) || value.length > maxItems || !value.every((v) => typeof v === "string")) {
    throw bad(name, value, `expected a list of at most ${maxItems} strings`);
  }
  return value as string[];
}
