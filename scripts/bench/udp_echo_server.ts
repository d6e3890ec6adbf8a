// Benchmark peer: a raw Deno UDP echo server on 127.0.0.1 (the baseline for round-trip figures). Prints
// `{"port":N}` on stdout once bound, then sends every datagram back to its sender until killed.
const MAX_DATAGRAM_BYTES = 65_535;

if (import.meta.main) {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  console.log(JSON.stringify({ port: (conn.addr as Deno.NetAddr).port }));
  const buf = new Uint8Array(MAX_DATAGRAM_BYTES);
  for await (const [data, from] of conn) {
    buf.set(data);
    await conn.send(buf.subarray(0, data.length), from);
  }
}
