// Test helpers for the IPC tests: a server on a socket in a fresh temp dir, a raw frame-level connection for
// poking the server with arbitrary bytes, and a deferred promise. Every wait is bounded by a guard deadline that fails
// the test; nothing here sleeps to synchronise.
import { encodeIpcJson, type IpcFrame, IpcFrameReader } from "../../src/wire/ipc_frame.ts";
import { parseJsonBody } from "../../src/wire/registry_frame.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import type { IpcHandlers } from "../../src/ipc/handlers.ts";
import { type IpcAddress, IpcServer, type IpcServerLimits } from "../../src/ipc/mod.ts";

/** How long a test waits for something that should happen at once before failing. */
export const GUARD_MS = 5_000;

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects if `promise` does not settle within GUARD_MS (a failing test, not a synchronisation sleep). */
export async function guard<T>(promise: Promise<T>, what: string, ms = GUARD_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TestServer extends AsyncDisposable {
  readonly server: IpcServer;
  readonly dir: string;
  readonly path: string;
  readonly log: MemorySink;
}

export async function startServer(
  handlers: IpcHandlers,
  options: { limits?: Partial<IpcServerLimits>; transport?: "unix" | "tcp" } = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-ipc-" });
  const path = `${dir}/ipc.sock`;
  const address: IpcAddress = options.transport === "tcp"
    ? { transport: "tcp", tokenPath: `${dir}/ipc.token` }
    : { transport: "unix", path };
  const log = new MemorySink();
  const server = await IpcServer.start({
    address,
    handlers,
    logger: new Logger({ sink: log, level: "debug" }),
    limits: options.limits,
  });
  return {
    server,
    dir,
    path,
    log,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A connection that speaks raw frames, for tests that must send what the client never would. */
export class RawConn {
  readonly conn: Deno.Conn;
  readonly #reader = new IpcFrameReader();
  readonly #buf = new Uint8Array(65_536);
  #eof = false;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async unix(path: string): Promise<RawConn> {
    return new RawConn(await Deno.connect({ transport: "unix", path }));
  }

  static async tcp(port: number): Promise<RawConn> {
    return new RawConn(await Deno.connect({ transport: "tcp", hostname: "127.0.0.1", port }));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  async writeJson(obj: object): Promise<void> {
    await this.write(encodeIpcJson(obj));
  }

  /** The next frame, or null at end of stream (or a reset). */
  async nextFrame(): Promise<IpcFrame | null> {
    return await guard(this.#next(), "a frame from the server");
  }

  /** The next frame, which must be JSON, parsed. */
  async nextJson(): Promise<Record<string, unknown>> {
    const frame = await this.nextFrame();
    if (frame === null) throw new Error("connection closed before a JSON frame");
    if (frame.kind !== "json") throw new Error(`expected a JSON frame, got ${frame.kind}`);
    const parsed = parseJsonBody(frame.body);
    if (!parsed.ok) throw new Error(`server sent bad JSON: ${parsed.reason}`);
    return parsed.value;
  }

  /** Every frame until the server closes. */
  async readToEnd(): Promise<IpcFrame[]> {
    const frames: IpcFrame[] = [];
    for (;;) {
      const f = await this.nextFrame();
      if (f === null) return frames;
      frames.push(f);
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  async #next(): Promise<IpcFrame | null> {
    for (;;) {
      const r = this.#reader.next();
      if (r.kind === "frame") return r.frame;
      if (r.kind !== "need_more") throw new Error(`server sent a bad frame: ${r.kind}`);
      if (this.#eof) return null;
      let n: number | null;
      try {
        n = await this.conn.read(this.#buf);
      } catch {
        n = null;
      }
      if (n === null) this.#eof = true;
      else this.#reader.push(this.#buf.subarray(0, n));
    }
  }
}

export function jsonOf(frame: IpcFrame | null): Record<string, unknown> {
  if (frame === null || frame.kind !== "json") throw new Error(`expected a JSON frame, got ${frame?.kind ?? "EOF"}`);
  const parsed = parseJsonBody(frame.body);
  if (!parsed.ok) throw new Error(`bad JSON: ${parsed.reason}`);
  return parsed.value;
}

/** A frame header claiming `length` (= 1 + body) with an optional kind byte. */
export function frameHeader(length: number, kind?: number): Uint8Array {
  const out = new Uint8Array(kind === undefined ? 4 : 5);
  new DataView(out.buffer).setUint32(0, length);
  if (kind !== undefined) out[4] = kind;
  return out;
}

export const noHandlers: IpcHandlers = { commands: {} };
