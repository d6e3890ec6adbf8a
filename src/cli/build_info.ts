// Build facts shown by `version`, `help` and `context`: the version comes from deno.json at build time, so the
// compiled binary carries it without reading any file.
import denoJson from "../../deno.json" with { type: "json" };

export const PILOTCTL_VERSION: string = denoJson.version;

const ARCH_NAMES: Readonly<Record<string, string>> = { x86_64: "x64", aarch64: "arm64" };

export interface BuildInfo {
  readonly version: string;
  readonly deno: string;
  readonly os: string;
  /** `x64` / `arm64`, the names release archives use. */
  readonly arch: string;
}

export function buildInfo(): BuildInfo {
  return {
    version: PILOTCTL_VERSION,
    deno: Deno.version.deno,
    os: Deno.build.os,
    arch: ARCH_NAMES[Deno.build.arch] ?? Deno.build.arch,
  };
}
