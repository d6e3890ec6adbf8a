// The data exchange over real transport streams in virtual time (PROTOCOL-BRIEF §7, §9.2): a StreamConn is a
// ServiceStream as it is, so the service and the sender run unchanged over the reliable stream state machine.
import assert from "node:assert/strict";
import { DataExchangeSender } from "../../../src/daemon/services/data_exchange_client.ts";
import { FrameType } from "../../../src/daemon/services/data_exchange_codec.ts";
import type { ServiceStream } from "../../../src/daemon/services/service_stream.ts";
import type { StreamConn } from "../../../src/transport/mod.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { B, net, settle } from "../../transport/stack_pair.ts";
import { ALICE, chunksOf, exchangeEnv, sha256 } from "./_exchange.ts";

Deno.test("a message and a 300 kB file cross a simulated link and are acknowledged in order", async () => {
  await using env = await exchangeEnv({ maxFileBytes: 1_000_000 });
  const n = net();
  const listener = n.b.listen(1001);
  const dialing = n.a.dial(B, 1001);
  const server = await settle(n.clock, listener.accept());
  const client: StreamConn = await settle(n.clock, dialing);
  assert.ok(server !== null);
  // Type-level: the transport stream is what services take.
  const asService: ServiceStream = server;
  const served = env.service.serve(asService, ALICE);
  const sender = new DataExchangeSender(client, "0:0000.0000.0102");
  const msg = await settle(n.clock, sender.sendMessage(FrameType.TEXT, utf8("over the wire")));
  assert.deepEqual([msg.seq, msg.status], [1, "ok"]);
  const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
  const file = await settle(
    n.clock,
    sender.sendFile({ name: "big.bin", size: data.length, sha256: sha256(data), content: chunksOf(data, 16_384) }),
  );
  assert.deepEqual([file.seq, file.status, file.stored], [2, "ok", "big.bin"]);
  await settle(n.clock, sender.finish());
  assert.equal(await settle(n.clock, client.read()), null);
  await settle(n.clock, served);
  assert.deepEqual(await Deno.readFile(`${env.root}/received/big.bin`), data);
  assert.equal((await env.inbox.list())[0].data, "over the wire");
});
