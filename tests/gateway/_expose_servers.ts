// Test support for the expose end-to-end tests (CLI.md §3.9): the services behind the exposed ports — an HTTP server
// (Deno.serve) and a raw HTTP/1.1 server that ends responses by closing or drops connections — and the real `curl`.
import { sha256 } from "../../src/crypto/mod.ts";
import { toHex } from "../../src/util/bytes.ts";

/** Bound on one curl run. */
const CURL_MAX_SECS = 60;
const CURL_TIMEOUT_MS = 90_000;

const enc = new TextEncoder();
const dec = new TextDecoder();

export const hasCurl = await new Deno.Command("curl", { args: ["--version"], stdout: "null", stderr: "null" }).output()
  .then((o) => o.success, () => false);

export function hexDigest(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65_536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65_536)));
  return out;
}

/** A pilot port ≥ 1024 that is also free on the gateway's loopback IPs (they are new, so any port is). */
export function randomPort(): number {
  return 20_000 + (crypto.getRandomValues(new Uint16Array(1))[0] % 20_000);
}

export interface CurlOutcome {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

export async function curl(args: readonly string[]): Promise<CurlOutcome> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "--noproxy", "*", "--max-time", String(CURL_MAX_SECS), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CURL_TIMEOUT_MS),
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: dec.decode(out.stderr) };
}

/**
 * The HTTP service on B's side: `/` greets, `/big` is 10 MB of random bytes, `/n/<i>` answers `<i>`, `/conn` the
 * source port of the TCP connection it came on (one per pilot stream), `/upload` the digest of the body.
 */
export function startHttp(big: Uint8Array<ArrayBuffer>) {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req, info) => {
    hits++;
    const path = new URL(req.url).pathname;
    if (path === "/") return new Response("hello from bob\n");
    if (path === "/big") return new Response(big, { headers: { "content-type": "application/octet-stream" } });
    if (path.startsWith("/n/")) return new Response(`${path.slice(3)}\n`);
    if (path === "/conn") return new Response(`${info.remoteAddr.port}\n`);
    if (path === "/upload") {
      const body = new Uint8Array(await req.arrayBuffer());
      return new Response(`${body.length} ${hexDigest(body)}`);
    }
    return new Response("not found\n", { status: 404 });
  });
  return {
    port: server.addr.port,
    get hits() {
      return hits;
    },
    shutdown: () => server.shutdown(),
  };
}

/**
 * A raw HTTP/1.1 server that reads the request head, then for `/eof` answers with a body ended only by closing the
 * connection (no Content-Length), and for anything else closes without answering.
 */
export class EarlyCloseServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor() {
    this.#loop = this.#accept();
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  get open(): number {
    return this.#conns.size;
  }

  async #accept(): Promise<void> {
    const served = new Set<Promise<void>>();
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        const s: Promise<void> = this.#serve(conn).finally(() => {
          this.#conns.delete(conn);
          served.delete(s);
        });
        served.add(s);
      }
    } catch {
      // listener closed
    }
    await Promise.all(served);
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    try {
      let head = "";
      const buf = new Uint8Array(4096);
      while (!head.includes("\r\n\r\n") && head.length < 65_536) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += dec.decode(buf.subarray(0, n));
      }
      if (head.startsWith("GET /eof ")) {
        await conn.write(enc.encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"));
        await conn.write(enc.encode("body ended by close\n"));
      }
    } catch {
      // the far side reset
    } finally {
      try {
        conn.close();
      } catch {
        // closed at disposal
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await this.#loop;
  }
}
