// Benchmark peer of `ipc_echo_rtt_ms`: a Unix-socket server speaking the IPC framing (PROTOCOL-BRIEF §8.2) that
// reads each frame with the daemon's incremental reader and writes it back re-encoded, as the daemon answers a frame.
// Prints `{"path":"…"}` once listening (the socket path is the first argument), serves until killed.
import { encodeIpcFrame, IpcFrameReader } from "../../src/wire/ipc_frame.ts";

/** The daemon's socket read size (src/ipc/constants.ts READ_CHUNK_BYTES). */
const READ_CHUNK_BYTES = 65_536;

async function serve(conn: Deno.Conn): Promise<void> {
  const reader = new IpcFrameReader();
  const buf = new Uint8Array(READ_CHUNK_BYTES);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      reader.push(buf.subarray(0, n));
      for (;;) {
        const r = reader.next();
        if (r.kind === "need_more") break;
        if (r.kind !== "frame") return;
        const out = encodeIpcFrame(r.frame);
        for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
      }
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

if (import.meta.main) {
  const path = Deno.args[0];
  const listener = Deno.listen({ transport: "unix", path });
  console.log(JSON.stringify({ path }));
  for await (const conn of listener) serve(conn).catch(() => {});
}
