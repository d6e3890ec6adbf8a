// Reading a shell transcript of CLI.md (§4) as test steps: `$ <agent> <args>` lines are commands (a `;` joins
// several), the lines below one are its expected output, `# exit N` after a command is its exit status (else 1 when
// the output shows `error: …`, 0 otherwise) and `# ... <text>` says the output has a line reading <text> (ignoring
// its indentation). Each expected line compiles into a regex in which pids, times,
// durations and message ids are variables (a pid keeps one value across the whole transcript, by its literal) and
// the example's paths are replaced by the test's own.
export interface Step {
  /** The agent (shell function) the command runs as, or `kill` for `kill %1`. */
  readonly who: string;
  readonly args: readonly string[];
  readonly exitCode: number;
  /** Expected output lines, in order (stdout and stderr mixed as in the transcript). */
  readonly expected: readonly string[];
  /** True for `# ... <text>`: the expected lines appear in the output (indentation aside), which may hold more. */
  readonly partial: boolean;
  /** The command as written, for messages. */
  readonly text: string;
}

/** Splits a command line into words: spaces separate, double quotes group. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let quoted = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (ch === " " && !quoted) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += ch;
      started = true;
    }
  }
  if (quoted) throw new Error(`unbalanced quote in: ${text}`);
  if (started) words.push(word);
  return words;
}

/** The command part of a `$` line and its trailing `# …` comment (a `#` outside quotes after two spaces). */
function splitComment(line: string): { command: string; comment: string } {
  const at = line.search(/ {2,}# /);
  if (at < 0) return { command: line.trim(), comment: "" };
  return { command: line.slice(0, at).trim(), comment: line.slice(at).trim().slice(2) };
}

/**
 * Parses the transcript. `agents` names the shell functions; lines defining them, the registry start and anything
 * else that is not an agent's command or `kill` are left to the caller (`skipped`).
 */
export function parseTranscript(text: string, agents: readonly string[]): { steps: Step[]; skipped: string[] } {
  const steps: { who: string; args: string[]; exitCode: number; expected: string[]; partial: boolean; text: string }[] =
    [];
  const skipped: string[] = [];
  let group: typeof steps = [];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("$ ")) {
      group = [];
      const { command, comment } = splitComment(line.slice(2));
      const parts = command.split(";").map((c) => c.trim()).filter((c) => c !== "");
      for (const part of parts) {
        const words = shellWords(part);
        const who = words[0];
        if (!agents.includes(who) && who !== "kill") {
          skipped.push(part);
          continue;
        }
        const exit = /^exit (\d+)$/.exec(comment);
        const contains = /^\.\.\. (.*)$/.exec(comment);
        const step = {
          who,
          args: words.slice(1),
          exitCode: exit !== null ? Number(exit[1]) : 0,
          expected: contains !== null ? [contains[1]] : [],
          partial: contains !== null,
          text: part,
        };
        steps.push(step);
        group.push(step);
      }
      continue;
    }
    // Output. After `a; b; c` each command printed one line in turn (commands printing nothing take none).
    if (group.length === 0) throw new Error(`output without a command: ${line}`);
    const target = group.length === 1 ? group[0] : group.find((s) => s.who !== "kill" && s.expected.length === 0);
    if (target === undefined) throw new Error(`cannot tell which command printed: ${line}`);
    target.expected.push(line);
  }
  // An error shown without an `# exit N` note is the ordinary failure status (CLI.md §1.4).
  for (const step of steps) {
    if (step.exitCode === 0 && step.expected.some((l) => l.startsWith("error: "))) step.exitCode = 1;
  }
  return { steps, skipped };
}

/** Lines CLI.md sends to stderr: progress, errors, hints and side notes (§1.3, §3.1). */
export function isStderrLine(line: string): boolean {
  return /^(starting daemon |error: |hint: {2}|resolved ")/.test(line);
}

/** Side notes a command may add on stderr beyond the transcript (CLI.md §1.3: `resolved "bob" -> …`). */
export function isSideNote(line: string): boolean {
  return /^resolved "[^"]+" -> \d+:[0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}$/.test(line);
}

/** Variables of an expected line, most specific first. `pid` values are bound by their literal. */
const VARIABLES: readonly { readonly pattern: RegExp; readonly regex: string; readonly pid?: true }[] = [
  { pattern: /\(pid (\d+)\)/y, regex: "\\(pid (\\d+)\\)", pid: true },
  { pattern: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/y, regex: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z" },
  { pattern: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/y, regex: "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d" },
  { pattern: /\d{13}-[a-z0-9]{6}/y, regex: "\\d+-[a-z0-9]+" },
  { pattern: /\d+\.\d{3}(?=ms| ms|\/)/y, regex: "\\d+\\.\\d{3}" },
  // `starting daemon (pid N)...`: one dot per readiness poll.
  { pattern: /\.\.\.$/y, regex: "\\.+" },
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface CompiledLine {
  readonly regex: RegExp;
  /** The example's pid literals, in the order of the regex's groups. */
  readonly pids: readonly string[];
}

/** Compiles one expected line; `paths` maps the example's path prefixes to the test's. */
export function compileLine(line: string, paths: ReadonlyMap<string, string>): CompiledLine {
  let source = "";
  const pids: string[] = [];
  let i = 0;
  outer: while (i < line.length) {
    for (const v of VARIABLES) {
      v.pattern.lastIndex = i;
      const m = v.pattern.exec(line);
      if (m === null) continue;
      source += v.regex;
      if (v.pid) pids.push(m[1]);
      i += m[0].length;
      continue outer;
    }
    for (const [from, to] of paths) {
      if (line.startsWith(from, i)) {
        source += escape(to);
        i += from.length;
        continue outer;
      }
    }
    source += escape(line[i]);
    i++;
  }
  return { regex: new RegExp(`^${source}$`), pids };
}

/** Pid literals of the example bound to the values seen; the same literal must always be the same pid. */
export class PidBindings {
  readonly #values = new Map<string, string>();

  /** Matches `actual` against `compiled`; throws when a pid contradicts an earlier one. */
  match(compiled: CompiledLine, actual: string): boolean {
    const m = compiled.regex.exec(actual);
    if (m === null) return false;
    compiled.pids.forEach((literal, k) => {
      const seen = m[k + 1];
      const bound = this.#values.get(literal);
      if (bound !== undefined && bound !== seen) {
        throw new Error(`pid ${literal} of the example was ${bound} before, now ${seen}: ${actual}`);
      }
      this.#values.set(literal, seen);
    });
    return true;
  }

  get(literal: string): number | null {
    const v = this.#values.get(literal);
    return v === undefined ? null : Number(v);
  }
}
