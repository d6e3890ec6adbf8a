// The accept reply and the eof of an empty inbound stream can arrive in one read, before the caller attaches its
// stream: the client must hold the eof and replay it on attach instead of dropping it.
import assert from "node:assert/strict";
import { IpcClient } from "../../src/ipc/client.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { encodeIpcJson, IpcFrameReader } from "../../src/wire/ipc_frame.ts";
import { parseJsonBody } from "../../src/wire/registry_frame.ts";
import { guard } from "./support.ts";

Deno.test("an eof that arrives in the same read as the accept reply reaches the stream", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/d.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    const conn = await listener.accept();
    const reader = new IpcFrameReader();
    const buf = new Uint8Array(4096);
    try {
      for (let reads = 0; reads < 50; reads++) {
        const n = await conn.read(buf);
        if (n === null) return;
        reader.push(buf.subarray(0, n));
        for (let r = reader.next(); r.kind === "frame"; r = reader.next()) {
          if (r.frame.kind !== "json") continue;
          const parsed = parseJsonBody(r.frame.body);
          if (!parsed.ok) continue;
          const msg = parsed.value as { id: number; cmd: string };
          if (msg.cmd === "hello") {
            await conn.write(encodeIpcJson({ id: msg.id, ok: true, daemon_version: "t", proto: 1, node_id: 256 }));
          } else if (msg.cmd === "accept") {
            // Reply and eof in ONE write, so the client reads them together.
            await conn.write(concatBytes(
              encodeIpcJson({
                id: msg.id,
                ok: true,
                conn: 7,
                local_port: 5000,
                remote: "0:0000.0000.0101",
                remote_port: 49152,
              }),
              encodeIpcJson({ event: "eof", conn: 7 }),
            ));
          } else {
            await conn.write(encodeIpcJson({ id: msg.id, ok: true }));
          }
        }
      }
    } finally {
      conn.close();
    }
  })();
  const client = await IpcClient.connect(path);
  try {
    const stream = await client.acceptStream(5000);
    const reader = stream.readable.getReader();
    const first = await guard(reader.read(), "the held eof to end the stream");
    assert.equal(first.done, true);
  } finally {
    await client.close();
    listener.close();
    await served.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
