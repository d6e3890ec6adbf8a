// Public face of config/: environment and paths (CLI.md §1.6, §1.8), the config keys and file (§1.7), and the
// value parsers of §1.5 shared by flags, environment variables and config.json.
export * from "./values.ts";
export * from "./names.ts";
export * from "./paths.ts";
export * from "./keys.ts";
export * from "./file.ts";
export * from "./resolve.ts";
export * from "./edit.ts";
