// Benchmark peer of `crypto_udp_ceiling_MBps`: the receiving end of the minimal encrypt → UDP → decrypt loop. It
// opens every PILS frame with the tunnel's own Keyset (AES-256-GCM, the §3.6 replay window), counts the authentic
// ones and reports the count to the sender: every ACK_EVERY_FRAMES frames, and at once when asked (a 4-byte query).
// Prints `{"port":N}` once bound; the receive key comes as hex in the first argument.
import { Keyset } from "../../src/tunnel/keyset.ts";
import { decodePils } from "../../src/wire/mod.ts";
import { fromHex, randomBytes } from "../../src/util/bytes.ts";

/** Frames between two unsolicited count reports: the sender's window moves in steps this big. */
export const ACK_EVERY_FRAMES = 16;
/** A datagram this long from the sender (u32 query id) asks for the count now; PILS frames are never this short. */
export const QUERY_BYTES = 4;
/** A count report: u32 frames received (authentic), u32 frames rejected, u32 the query answered (0: unsolicited). */
export const REPORT_BYTES = 12;
const MAX_DATAGRAM_BYTES = 65_535;

if (import.meta.main) {
  const key = fromHex(Deno.args[0] ?? "");
  const keyset = new Keyset({
    peerNode: 1,
    localIndex: 2,
    remoteIndex: 1,
    role: "responder",
    createdAtMs: performance.now(),
    sendKey: randomBytes(32),
    receiveKey: key,
  });
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  console.log(JSON.stringify({ port: (conn.addr as Deno.NetAddr).port }));
  const buf = new Uint8Array(MAX_DATAGRAM_BYTES);
  const report = new Uint8Array(REPORT_BYTES);
  const view = new DataView(report.buffer);
  let good = 0;
  let bad = 0;
  for (;;) {
    const [data, from] = await conn.receive(buf);
    if (data.length === QUERY_BYTES) {
      view.setUint32(0, good);
      view.setUint32(4, bad);
      view.setUint32(8, new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0));
      await conn.send(report, from);
      continue;
    }
    let ok = false;
    try {
      ok = keyset.open(decodePils(data), performance.now()).ok;
    } catch {
      ok = false;
    }
    if (!ok) {
      bad++;
      continue;
    }
    if (++good % ACK_EVERY_FRAMES === 0) {
      view.setUint32(0, good);
      view.setUint32(4, bad);
      view.setUint32(8, 0);
      await conn.send(report, from);
    }
  }
}
