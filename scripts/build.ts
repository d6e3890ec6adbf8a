// `deno task build [--target linux-x64]… [--out dist] [--dry-run]`: compiles pilotctl for every release target into
// dist/ as `pilotctl-<os>-<arch>[.exe]` and writes SHA256SUMS. `--dry-run` prints the `deno compile` command lines on
// stdout, one per target, and touches nothing (no folder, no runtime download, no compile).
//
// `deno compile` needs the Deno runtime archive (`denort-<triple>.zip`) of the running Deno version for each target.
// It downloads it unless it is already in its cache. Set DENORT_DIR to a folder holding those archives to build
// offline: each one is placed where its own target's compile finds it.
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import {
  artefactName,
  compileArgs,
  compileCommandLine,
  denortArchiveName,
  denortCacheDir,
  selectTargets,
  sha256SumsText,
} from "./build_plan.ts";

// Decoded: a checkout path with spaces is percent-encoded in the URL.
const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string };
  return info.denoDir;
}

async function seedRuntimeArchives(denortDir: string, triples: string[]): Promise<void> {
  const cache = denortCacheDir(await denoDir(), Deno.version.deno);
  await Deno.mkdir(cache, { recursive: true });
  for (const archive of triples) {
    const from = `${denortDir}/${archive}`;
    try {
      await Deno.copyFile(from, `${cache}/${archive}`);
      console.error(`runtime: ${from} -> ${cache}/`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        console.error(`warning: DENORT_DIR has no ${archive}; deno compile will try to download it`);
      } else throw err;
    }
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true },
      out: { type: "string", default: "dist" },
      "dry-run": { type: "boolean", default: false },
    },
    strict: true,
  });
  const targets = selectTargets(values.target ?? []);
  const outDir = values.out.startsWith("/") ? values.out : `${root}${values.out}`;
  if (values["dry-run"]) {
    for (const target of targets) console.log(compileCommandLine(compileArgs(target, outDir, `${root}main.ts`)));
    return 0;
  }
  await Deno.mkdir(outDir, { recursive: true });
  const denortDir = Deno.env.get("DENORT_DIR");
  if (denortDir) await seedRuntimeArchives(denortDir, targets.map(denortArchiveName));

  const sums: { name: string; sha256: string }[] = [];
  for (const target of targets) {
    const args = compileArgs(target, outDir, `${root}main.ts`);
    console.error(`deno ${args.join(" ")}`);
    const result = await new Deno.Command(Deno.execPath(), { args, cwd: root, stderr: "piped" }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) {
      if (/dl\.deno\.land|error sending request|dns error/.test(stderr)) {
        console.error(
          `error: cannot download the Deno runtime for ${target.triple} (${denortArchiveName(target)}); ` +
            `put it in a folder and set DENORT_DIR to build offline`,
        );
      } else console.error(stderr.trim());
      return 1;
    }
    const name = artefactName(target);
    sums.push({ name, sha256: await sha256File(`${outDir}/${name}`) });
    console.error(`built ${outDir}/${name}`);
  }
  await Deno.writeTextFile(`${outDir}/SHA256SUMS`, sha256SumsText(sums));
  console.error(`wrote ${outDir}/SHA256SUMS`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    // A bad flag or target is a usage error: one line, not a stack trace.
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(2);
  }
}
