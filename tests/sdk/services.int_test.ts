// The SDK's datagrams, ping and built-in service clients against real in-process daemons: datagrams both ways on
// bound ports, ping through the echo service, a message into the receiver's inbox (port 1001), and publish /
// subscribe on a broker (port 1002).
import assert from "node:assert/strict";
import { broadcastAddress, InvalidArgumentError, NotTrustedError } from "../../mod.ts";
import { withTimeout } from "../../scripts/bench/pilot_process.ts";
import { bytes, sdkCluster, text, trustEachOther } from "./_sdk.ts";

Deno.test("datagrams() receives what sendDatagram() sends; a reply from the bound port comes back to it", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await assert.rejects(() => alice.sendDatagram(bob.address, 6000, bytes("x")), NotTrustedError);
  await trustEachOther(alice, bob);
  await using inbox = await bob.datagrams(6000);
  await using replies = await alice.datagrams(0);
  assert.ok(replies.port >= 49152);
  // Datagrams may be lost, even on loopback: send every 50 ms until one arrives (bounded).
  const first = withTimeout(inbox.receive(), 5_000, "no datagram within 5 s");
  const sender = setInterval(() => replies.send(bob.address, 6000, bytes("ping")).catch(() => {}), 50);
  const dg = await first.finally(() => clearInterval(sender));
  assert.ok(dg !== null);
  assert.deepEqual([dg.from, dg.fromPort, dg.port, text(dg.data)], [alice.address, replies.port, 6000, "ping"]);
  await inbox.send(dg.from, dg.fromPort, bytes("pong"));
  const back = await withTimeout(replies.receive(), 5_000, "no reply within 5 s");
  assert.ok(back !== null);
  assert.deepEqual([back.from, back.fromPort, text(back.data)], [bob.address, 6000, "pong"]);
  // Over the path limit (1152 bytes by default) the daemon refuses.
  await assert.rejects(() => alice.sendDatagram(bob.address, 6000, new Uint8Array(2000)), {
    code: "invalid_argument",
    detail: "too_large",
  });
});

Deno.test("closing a DatagramPort ends its iteration and unbinds the port", async () => {
  await using c = await sdkCluster(["alice"]);
  const alice = c.agents[0].sdk;
  const port = await alice.datagrams(6001);
  const loop = (async () => {
    let n = 0;
    for await (const _ of port) n++;
    return n;
  })();
  await port.close();
  assert.equal(await loop, 0);
  const again = await alice.datagrams(6001);
  assert.equal(again.port, 6001);
  await again.close();
});

Deno.test("ping() sends a control ping through the daemon, or times an echo on port 7; both need trust", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await assert.rejects(() => alice.ping(bob.address), NotTrustedError);
  await assert.rejects(() => alice.ping(bob.address, { method: "echo" }), NotTrustedError);
  await trustEachOther(alice, bob);
  const control = await alice.ping("bob");
  assert.equal(control.method, "control");
  assert.ok(control.rttMs >= 0 && control.rttMs < 5_000, String(control.rttMs));
  const echo = await alice.ping("bob", { method: "echo" });
  assert.equal(echo.method, "echo");
  assert.ok(echo.rttMs > 0 && echo.rttMs < 5_000, String(echo.rttMs));
});

Deno.test("sendMessage() resolves with the ACK once the message is in the receiver's inbox", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  const ack = await alice.sendMessage("bob", '{"task":"summarise"}', { type: "json" });
  assert.equal(ack.type, "json");
  assert.equal(ack.bytes, 20);
  assert.ok(ack.messageId !== null);
  const stored = JSON.parse(await Deno.readTextFile(`${c.root}/bob/inbox/${ack.messageId}.json`));
  assert.deepEqual([stored.type, stored.from, stored.data], ["json", alice.address, '{"task":"summarise"}']);
  const bin = await alice.sendMessage(bob.address, new Uint8Array([0, 1, 2]));
  assert.deepEqual([bin.type, bin.bytes], ["binary", 3]);
  await assert.rejects(
    () => alice.sendMessage(bob.address, "x".repeat(1_048_577)),
    (err) => err instanceof InvalidArgumentError && err.detail === "too_large",
  );
});

Deno.test("subscribe() yields the events published on a broker, from the publisher, until closed", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  // alice listens on bob's broker; bob publishes on his own.
  const sub = await alice.subscribe(bob.address, ["jobs.*", "alerts.**"]);
  assert.deepEqual(sub.patterns, ["jobs.*", "alerts.**"]);
  assert.equal(await bob.publish(bob.address, "jobs.done", "build 42"), 1);
  assert.equal(await bob.publish(bob.address, "other.topic", "ignored"), 0);
  assert.equal(await bob.publish(bob.address, "alerts.disk.full", bytes("90%")), 1);
  const seen: string[] = [];
  for await (const ev of sub) {
    seen.push(`${ev.topic}=${ev.text} from ${ev.from}`);
    if (seen.length === 2) await sub.close();
  }
  assert.deepEqual(seen, [`jobs.done=build 42 from ${bob.address}`, `alerts.disk.full=90% from ${bob.address}`]);
  assert.equal(await sub.next(), null);
  // alice may publish on bob's broker too: the subscriber is gone, so nobody gets it.
  assert.equal(await alice.publish(bob.address, "jobs.done"), 0);
});

Deno.test("closing a Subscription while its iteration waits ends the iteration without an error", async () => {
  await using c = await sdkCluster(["alice"]);
  const alice = c.agents[0].sdk;
  const sub = await alice.subscribe(alice.address, "*");
  const first = Promise.withResolvers<void>();
  const waiting = (async () => {
    const topics: string[] = [];
    for await (const ev of sub) {
      topics.push(ev.topic);
      first.resolve();
    }
    return topics;
  })();
  assert.equal(await alice.publish(alice.address, "tick"), 1);
  await first.promise;
  // The loop now waits for a second event that never comes.
  await sub.close();
  assert.deepEqual(await waiting, ["tick"]);
});

Deno.test("sendDatagram() to N:NNNN.FFFF.FFFF broadcasts to the trusted members of network N; N = 0 is refused", async () => {
  await using c = await sdkCluster(["alice", "bob"]);
  const [alice, bob] = c.agents.map((a) => a.sdk);
  await trustEachOther(alice, bob);
  const net = await alice.ipc.request("network_create", { name: "crew", join_rule: "open" });
  await bob.ipc.request("network_join", { network_id: net.network_id });
  const broadcast = broadcastAddress(net.network_id);
  const hex = net.network_id.toString(16).toUpperCase().padStart(4, "0");
  assert.equal(broadcast, `${net.network_id}:${hex}.FFFF.FFFF`);
  await using inbox = await bob.datagrams(6100);
  const first = withTimeout(inbox.receive(), 5_000, "no broadcast within 5 s");
  const sender = setInterval(() => alice.sendDatagram(broadcast, 6100, bytes("all hands")).catch(() => {}), 50);
  const dg = await first.finally(() => clearInterval(sender));
  assert.ok(dg !== null);
  // The sender appears under its address on network N: the same node id, the network's prefix.
  const aliceOnNet = `${net.network_id}:${hex}.${alice.address.slice("0:0000.".length)}`;
  assert.deepEqual([dg.from, text(dg.data)], [aliceOnNet, "all hands"]);
  await assert.rejects(() => alice.sendDatagram("0:0000.FFFF.FFFF", 6100, bytes("x")), {
    code: "invalid_argument",
    detail: "backbone_broadcast",
  });
});
