// The CLI's I/O seam: stdout, stderr and stdin as narrow injectable interfaces, so the whole CLI runs in-process in
// tests (MemoryIo) with exactly the bytes a real process would write.

export interface OutputStream {
  write(chunk: string | Uint8Array): Promise<void>;
}

export interface InputStream {
  readonly readable: ReadableStream<Uint8Array>;
  /** stdin is a terminal: commands that read stdin fail instead of waiting (CLI.md §1.2). */
  isTerminal(): boolean;
}

export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: InputStream;
}

interface DenoWriter {
  write(p: Uint8Array): Promise<number>;
}

function writerStream(writer: DenoWriter): OutputStream {
  const encoder = new TextEncoder();
  return {
    async write(chunk) {
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      let offset = 0;
      while (offset < bytes.length) offset += await writer.write(bytes.subarray(offset));
    },
  };
}

/** The process's real stdio. */
export function denoIo(): Io {
  return {
    stdout: writerStream(Deno.stdout),
    stderr: writerStream(Deno.stderr),
    stdin: {
      get readable() {
        return Deno.stdin.readable;
      },
      isTerminal: () => Deno.stdin.isTerminal(),
    },
  };
}

/** Collects what is written; `text()` decodes it. */
export class MemoryOutput implements OutputStream {
  readonly #chunks: Uint8Array[] = [];
  readonly #encoder = new TextEncoder();

  write(chunk: string | Uint8Array): Promise<void> {
    this.#chunks.push(typeof chunk === "string" ? this.#encoder.encode(chunk) : chunk.slice());
    return Promise.resolve();
  }

  bytes(): Uint8Array {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of this.#chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** In-memory stdio for tests: stdin holds the given bytes and reports whether it is "a terminal". */
export class MemoryIo implements Io {
  readonly stdout = new MemoryOutput();
  readonly stderr = new MemoryOutput();
  readonly stdin: InputStream;

  constructor(options: { stdin?: Uint8Array | string; stdinIsTerminal?: boolean } = {}) {
    const data = typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin;
    const terminal = options.stdinIsTerminal ?? false;
    this.stdin = {
      readable: new ReadableStream<Uint8Array>({
        start(controller) {
          if (data !== undefined && data.length > 0) controller.enqueue(data);
          controller.close();
        },
      }),
      isTerminal: () => terminal,
    };
  }
}
