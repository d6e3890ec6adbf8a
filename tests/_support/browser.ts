// A tiny Chrome DevTools Protocol driver for end-to-end tests of HTML pages (the registry dashboard): launches
// Debian's /usr/bin/chromium headless in its own process group with a fresh profile directory, finds the DevTools
// URL on stderr, and offers navigate / evaluate / wait-for / screenshot over Deno's WebSocket. Every wait is bounded;
// close() always ends the whole process group and removes the profile, even after a failed launch. Without chromium
// the tests are ignored with one message, except under CI=true, where they fail. PILOT_TEST_CHROMIUM overrides the
// binary.
import { CdpClient, within } from "./browser_cdp.ts";

/** Debian's chromium; PILOT_TEST_CHROMIUM names another binary (or a missing one, to see the skip). */
export const CHROMIUM_PATH: string = Deno.env.get("PILOT_TEST_CHROMIUM") || "/usr/bin/chromium";
const LAUNCH_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 5_000;
const STDERR_KEEP_CHARS = 64 * 1024;
const DEVTOOLS_RE = /DevTools listening on (ws:\/\/\S+)/;
export const VIEWPORT = { width: 1280, height: 860 } as const;

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-breakpad",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--mute-audio",
  `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
  "--remote-debugging-port=0",
];

export function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/** Registers a test that needs chromium: run when installed, else ignored with a message (failing under CI=true). */
export function browserTest(name: string, fn: () => Promise<void>): void {
  if (chromiumInstalled()) {
    Deno.test(name, fn);
    return;
  }
  if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`chromium is required under CI=true: ${CHROMIUM_PATH} is missing (run .ci/setup-system.sh)`);
    });
    return;
  }
  console.warn(`skipping browser test "${name}": ${CHROMIUM_PATH} is missing; run .ci/setup-system.sh as root`);
  Deno.test({ name, ignore: true, fn: () => {} });
}

/** Pids whose command line mentions `marker` (our unique profile directory): children that left the group. */
function pidsMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).includes(marker)) out.push(Number(entry.name));
    } catch {
      // the process exited meanwhile
    }
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export class Browser implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #profileDir: string;
  readonly #stderrDone: Promise<void>;
  readonly #stderr: { text: string };
  #cdp: CdpClient | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    child: Deno.ChildProcess,
    profileDir: string,
    stderrDone: Promise<void>,
    stderr: { text: string },
  ) {
    this.#child = child;
    this.#profileDir = profileDir;
    this.#stderrDone = stderrDone;
    this.#stderr = stderr;
  }

  /** Starts chromium and connects to its browser target; on any failure everything started is cleaned up. */
  static async launch(): Promise<Browser> {
    const profileDir = await Deno.makeTempDir({ prefix: "pilot-chromium-" });
    const child = new Deno.Command(CHROMIUM_PATH, {
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      // Its own process group, so close() can end the zygote, renderers and GPU process with one signal.
      detached: true,
    }).spawn();
    const stderr = { text: "" };
    let found: (url: string) => void = () => {};
    const devtools = new Promise<string>((resolve) => found = resolve);
    const stderrDone = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of child.stderr) {
          stderr.text = (stderr.text + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEEP_CHARS);
          const m = stderr.text.match(DEVTOOLS_RE);
          if (m !== null) found(m[1]);
        }
      } catch {
        // the pipe broke because the process died
      }
    })();
    const browser = new Browser(child, profileDir, stderrDone, stderr);
    try {
      const url = await within(
        Promise.race([devtools, stderrDone.then(() => Promise.reject(new Error("chromium exited")))]),
        LAUNCH_TIMEOUT_MS,
        `chromium printed no DevTools URL within ${LAUNCH_TIMEOUT_MS} ms`,
      );
      browser.#cdp = await CdpClient.connect(url);
      return browser;
    } catch (err) {
      await browser.close();
      throw new Error(`cannot launch ${CHROMIUM_PATH}: ${(err as Error).message}\nstderr tail:\n${stderr.text}`);
    }
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The last 64 KiB of chromium's stderr, for failure messages. */
  get stderrTail(): string {
    return this.#stderr.text;
  }

  /** A new tab with the test viewport, attached over a flat CDP session. */
  async newPage(): Promise<Page> {
    const cdp = this.#cdp;
    if (cdp === null) throw new Error("cannot open a page: the browser is closed");
    const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(cdp, sessionId);
    await page.init();
    return page;
  }

  /** Asks chromium to quit, then kills its process group and any straggler, and removes the profile directory. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const cdp = this.#cdp;
      this.#cdp = null;
      if (cdp !== null) {
        await cdp.send("Browser.close", {}, undefined, CLOSE_TIMEOUT_MS).catch(() => {});
        await cdp.close();
      }
      await within(this.#child.status, CLOSE_TIMEOUT_MS, "chromium did not exit").catch(() => {});
      killQuietly(-this.#child.pid);
      for (const pid of pidsMentioning(this.#profileDir)) killQuietly(pid);
      await this.#child.status;
      await within(this.#stderrDone, CLOSE_TIMEOUT_MS, "chromium's stderr stayed open").catch(() => {});
      await Deno.remove(this.#profileDir, { recursive: true }).catch(() => {});
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export class Page {
  readonly #cdp: CdpClient;
  readonly #sessionId: string;
  /** Uncaught exceptions and console/log errors of the page (CSP violations show up here). */
  readonly errors: string[] = [];

  constructor(cdp: CdpClient, sessionId: string) {
    this.#cdp = cdp;
    this.#sessionId = sessionId;
  }

  #send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    return this.#cdp.send<T>(method, params, this.#sessionId, timeoutMs);
  }

  async init(): Promise<void> {
    this.#cdp.on(this.#sessionId, (method, params) => {
      if (method === "Runtime.exceptionThrown") {
        const d = params.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
        this.errors.push(`exception: ${d?.exception?.description ?? d?.text ?? "?"}`);
      } else if (method === "Log.entryAdded") {
        const e = params.entry as { level?: string; text?: string } | undefined;
        if (e?.level === "error") this.errors.push(`log: ${e.text}`);
      }
    });
    await this.#send("Page.enable");
    await this.#send("Runtime.enable");
    await this.#send("Log.enable");
    await this.#send("Emulation.setDeviceMetricsOverride", { ...VIEWPORT, deviceScaleFactor: 1, mobile: false });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeoutMs = 15_000): Promise<void> {
    const loaded = this.#cdp.waitForEvent(this.#sessionId, "Page.loadEventFired", timeoutMs);
    try {
      const r = await this.#send<{ errorText?: string }>("Page.navigate", { url }, timeoutMs);
      if (r.errorText) throw new Error(`cannot load ${url}: ${r.errorText}`);
      await loaded.promise;
    } finally {
      loaded.cancel();
    }
  }

  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  async evaluate<T>(expression: string, timeoutMs = 15_000): Promise<T> {
    const r = await this.#send<{ result: { value?: T }; exceptionDetails?: { exception?: { description?: string } } }>(
      "Runtime.evaluate",
      { expression, returnByValue: true, awaitPromise: true },
      timeoutMs + 1_000,
    );
    if (r.exceptionDetails !== undefined) {
      throw new Error(`page script failed: ${r.exceptionDetails.exception?.description ?? "unknown error"}`);
    }
    return r.result.value as T;
  }

  /**
   * Resolves with the value of `predicate` (a page expression) once it is truthy, re-checking on every DOM change;
   * rejects after `timeoutMs`.
   */
  async waitFor<T>(predicate: string, timeoutMs = 10_000): Promise<T> {
    try {
      return await this.#waitFor<T>(predicate, timeoutMs);
    } catch (err) {
      const errors = this.errors.length === 0 ? "" : `\npage errors:\n${this.errors.join("\n")}`;
      throw new Error(`${(err as Error).message}${errors}`);
    }
  }

  #waitFor<T>(predicate: string, timeoutMs: number): Promise<T> {
    return this.evaluate<T>(
      `new Promise((resolve, reject) => {
        const check = () => { try { return (${predicate}); } catch { return undefined; } };
        const first = check();
        if (first) return resolve(first);
        const timer = setTimeout(() => { obs.disconnect(); reject(new Error("timed out waiting for " +
          ${JSON.stringify(predicate)})); }, ${timeoutMs});
        const obs = new MutationObserver(() => {
          const v = check();
          if (v) { clearTimeout(timer); obs.disconnect(); resolve(v); }
        });
        obs.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      })`,
      timeoutMs,
    );
  }

  /** Saves a PNG of the viewport to `path`. */
  async screenshot(path: string): Promise<void> {
    const { data } = await this.#send<{ data: string }>("Page.captureScreenshot", { format: "png" });
    const bin = atob(data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    await Deno.writeFile(path, bytes);
  }
}
