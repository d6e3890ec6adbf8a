// Benchmark peer: a trivial TCP server speaking the registry's framing (u32 length + JSON object, PROTOCOL-BRIEF
// §4.1) that parses each request and answers `{…request, "type":"<type>_ok"}`: the transport-and-JSON cost of a
// request/response with no authentication and no store, the baseline for registry request rates. Prints
// `{"port":N}` on stdout once listening, then serves until killed.
import { encodeRegistryFrame, FrameReader, parseJsonBody } from "../../src/wire/mod.ts";

const READ_BUFFER_BYTES = 64 * 1024;

async function serve(conn: Deno.Conn): Promise<void> {
  const reader = new FrameReader();
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      reader.push(buf.subarray(0, n));
      for (let f = reader.next(); f.kind !== "need_more"; f = reader.next()) {
        if (f.kind === "too_large") return;
        const parsed = parseJsonBody(f.body);
        if (!parsed.ok) return;
        const reply = encodeRegistryFrame({ ...parsed.value, type: `${parsed.value.type}_ok` });
        for (let off = 0; off < reply.length;) off += await conn.write(reply.subarray(off));
      }
    }
  } catch {
    // a client that goes away mid-request ends only its own connection
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(JSON.stringify({ port: (listener.addr as Deno.NetAddr).port }));
  const running = new Set<Promise<void>>();
  for await (const conn of listener) {
    const p = serve(conn).finally(() => running.delete(p));
    running.add(p);
  }
}
