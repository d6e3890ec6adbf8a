// NAT traversal with real processes in the network-namespace NAT lab (PROTOCOL-BRIEF §5): `registry run` (registry
// and beacon) in the public namespace, a `daemon run` behind each router, everything driven through the CLI. Each
// scenario runs the trust handshake across the NAT, a fresh first contact (time to first byte), ping, a 1 MB bench and
// traceroute, and prints one line: path, time to first byte, ping RTT. Scenarios: no NAT (direct at once), cone on
// both sides (direct through the coordinated punch; blocking direct UDP mid-session fails over to the relay),
// symmetric on one or both sides (relay), all direct UDP blocked (relay, which sees only sealed frames and relays only
// for registered endpoints; unblocking upgrades to direct within the 60 s ± 10 s punch cycle), and NAT rebinding
// mid-session (the stream survives). Root only.
import assert from "node:assert/strict";
import {
  PUNCH_AFTER_MS,
  RELAY_AFTER_MS,
  UPGRADE_PUNCH_INTERVAL_MS,
  UPGRADE_PUNCH_JITTER_MS,
} from "../../src/daemon/dialer.ts";
import {
  echoesAfter,
  exercise,
  peerRow,
  printReport,
  startEchoLoop,
  trustDialAndExercise,
  waitForPath,
  webhookEvent,
} from "./_flow.ts";
import { RelayWatch, spoofedRelayHex } from "./_relay_watch.ts";
import { BEACON_PORT, NatScenario } from "./_scenario.ts";

/**
 * §5.6 direct → relay: 10 s of silence, a direct PATH_CHALLENGE unanswered, then the relay; then the stream's next
 * retransmission, its RTO backed off to as much as 10 s by then; with margin.
 */
const FAILOVER_TIMEOUT_MS = 35_000;
/**
 * NAT rebinding: the beacon learns the new mapping at the next DISCOVER (20 s ± 2 s, §5.5), then the failover above
 * and the stream's retransmission backoff (RTO ≤ 10 s); the stream itself gives up only after 60 s unacknowledged.
 */
const REBIND_RECOVERY_TIMEOUT_MS = 50_000;
/** Round trips the echo stream must complete to count as running again. */
const ECHOES_TO_RECOVER = 3;
/** The relay → direct upgrade: first punch 60 s ± 10 s after the relayed session came up, PILPs, 2 s challenge. */
const UPGRADE_LATEST_MS = UPGRADE_PUNCH_INTERVAL_MS + UPGRADE_PUNCH_JITTER_MS + 5_000;
const UPGRADE_EARLIEST_MS = UPGRADE_PUNCH_INTERVAL_MS - UPGRADE_PUNCH_JITTER_MS;
const WEBHOOK_TIMEOUT_MS = 10_000;

Deno.test("no NAT on either side: the first dial goes direct at once", async () => {
  await NatScenario.run("none-none", { natA: "none", natB: "none" }, async (s) => {
    const r = await trustDialAndExercise(s, "direct");
    printReport(s.name, r);
    assert.ok(r.ttfbMs < PUNCH_AFTER_MS, `first byte after ${r.ttfbMs} ms: the direct PILH at 0 s did not work`);
  });
});

Deno.test(
  "cone NAT on both sides: the coordinated punch ends direct; blocking direct UDP mid-session fails over to the " +
    "relay (tunnel.relay_activated) and the open stream survives",
  async () => {
    await NatScenario.run("cone-cone", { natA: "cone", natB: "cone", webhook: "hostA" }, async (s) => {
      const r = await trustDialAndExercise(s, "direct", { ownPunchWindow: true });
      printReport(s.name, r);
      // A PILH to a cone NAT's mapping is dropped until the punch opens it (§5.6: punch at 1 s).
      assert.ok(r.ttfbMs >= PUNCH_AFTER_MS, `first byte after ${r.ttfbMs} ms: direct without the punch`);

      const echo = await startEchoLoop(s, "hostA");
      const from = echo.lines.length;
      const eventsFrom = s.webhookEvents.lines.length;
      const blockedAt = performance.now();
      await s.lab.setDirectUdpBlocked(true);
      const event = await webhookEvent(s, "tunnel.relay_activated", eventsFrom, FAILOVER_TIMEOUT_MS);
      assert.deepEqual(event.data, { peer_node_id: s.agents.hostB.nodeId });
      await echoesAfter(echo, from, ECHOES_TO_RECOVER, FAILOVER_TIMEOUT_MS);
      const recoveredMs = Math.round(performance.now() - blockedAt);
      await waitForPath(s, "hostA", "relay", FAILOVER_TIMEOUT_MS);
      await waitForPath(s, "hostB", "relay", FAILOVER_TIMEOUT_MS);
      const after = await exercise(s, "hostA", "relay");
      console.log(
        `nat scenario ${s.name} failover: path=relay stream_recovered_ms=${recoveredMs} ` +
          `ping_rtt_ms=${after.pingRttMs.toFixed(3)}`,
      );
      await echo.close();
    });
  },
);

Deno.test("symmetric NAT on one side: falls back to the relay and still works", async () => {
  await NatScenario.run("symmetric-cone", { natA: "symmetric", natB: "cone" }, async (s) => {
    const r = await trustDialAndExercise(s, "relay");
    printReport(s.name, r);
    assert.ok(r.ttfbMs >= RELAY_AFTER_MS, `first byte after ${r.ttfbMs} ms: relayed before 4 s`);
  });
});

Deno.test("symmetric NAT on both sides: falls back to the relay and still works", async () => {
  await NatScenario.run("symmetric-symmetric", { natA: "symmetric", natB: "symmetric" }, async (s) => {
    const r = await trustDialAndExercise(s, "relay");
    printReport(s.name, r);
    assert.ok(r.ttfbMs >= RELAY_AFTER_MS, `first byte after ${r.ttfbMs} ms: relayed before 4 s`);
  });
});

Deno.test(
  "all direct UDP blocked: the relay carries only sealed frames and only from registered endpoints; unblocking " +
    "upgrades the session to direct within the 60 s ± 10 s punch cycle (tunnel.direct_restored)",
  async () => {
    const options = { natA: "cone", natB: "cone", blockDirectUdp: true, webhook: "hostA" } as const;
    await NatScenario.run("relay-only", options, async (s) => {
      const canary = `plaintext-canary-${crypto.randomUUID()}`;
      const spoofMarker = `spoofed-relay-${crypto.randomUUID()}`;
      const watch = await RelayWatch.watch(s, ["PILS", canary, spoofMarker]);
      const r = await trustDialAndExercise(s, "relay");
      printReport(s.name, r);
      assert.ok(r.ttfbMs >= RELAY_AFTER_MS, `first byte after ${r.ttfbMs} ms: relayed before 4 s`);

      const { hostA: a, hostB: b } = s.agents;
      const sent = await s.cliOk<{ ack: boolean }>("hostA", ["send-message", b.address, "--data", canary]);
      assert.equal(sent.ack, true);
      const inbox = await s.cliOk<{ messages: { data: string }[] }>("hostB", ["inbox"]);
      assert.ok(inbox.messages.some((m) => m.data === canary), "the message did not arrive");
      const sealed = await watch.counts("PILS");
      assert.ok(sealed.received > 0 && sealed.sent > 0, `the relay carried no PILS: ${JSON.stringify(sealed)}`);
      assert.deepEqual(await watch.counts(canary), { received: 0, sent: 0 }, "plaintext crossed the relay");

      // hostB's namespace, a socket that is not hostA's registered endpoint, claiming to be hostA.
      const spoof = s.tool("hostB", [
        "udp-send",
        s.lab.addr("public"),
        String(BEACON_PORT),
        spoofedRelayHex(a.nodeId, b.nodeId, spoofMarker),
      ]);
      await spoof.waitForLine(/^sent /, 10_000);
      await s.until("the spoofed RELAY at the beacon", 5_000, async () => {
        return (await watch.counts(spoofMarker)).received === 1 ? true : undefined;
      });
      assert.equal((await watch.counts(spoofMarker)).sent, 0, "the beacon relayed a spoofed RELAY");

      const eventsFrom = s.webhookEvents.lines.length;
      await s.lab.setDirectUdpBlocked(false);
      const relayedAt = r.dialedAt + r.ttfbMs;
      await waitForPath(s, "hostA", "direct", UPGRADE_LATEST_MS - (performance.now() - relayedAt));
      const upgradedMs = Math.round(performance.now() - relayedAt);
      assert.ok(upgradedMs >= UPGRADE_EARLIEST_MS, `upgraded ${upgradedMs} ms after the relay came up`);
      const event = await webhookEvent(s, "tunnel.direct_restored", eventsFrom, WEBHOOK_TIMEOUT_MS);
      assert.deepEqual(event.data, { peer_node_id: b.nodeId });
      await waitForPath(s, "hostB", "direct", WEBHOOK_TIMEOUT_MS);
      const after = await exercise(s, "hostA", "direct");
      console.log(
        `nat scenario ${s.name} upgrade: path=direct upgraded_after_ms=${upgradedMs} ` +
          `ping_rtt_ms=${after.pingRttMs.toFixed(3)}`,
      );
    });
  },
);

Deno.test(
  "NAT rebinding mid-session: an open stream survives a router forgetting its mappings and then a new WAN address",
  async () => {
    await NatScenario.run("rebinding", { natA: "cone", natB: "cone" }, async (s) => {
      const r = await trustDialAndExercise(s, "direct", { ownPunchWindow: true });
      printReport(s.name, r);
      const echo = await startEchoLoop(s, "hostA");

      // routerB forgets: hostA's next datagrams are unsolicited there and dropped until the §5.6 failover.
      let from = echo.lines.length;
      let startedAt = performance.now();
      await s.lab.flushConntrack("routerB");
      await echoesAfter(echo, from, ECHOES_TO_RECOVER, FAILOVER_TIMEOUT_MS);
      const flushRecoveredMs = Math.round(performance.now() - startedAt);

      // routerA moves to a new WAN address: every mapping of hostA changes, the beacon's registration included.
      from = echo.lines.length;
      startedAt = performance.now();
      const wan = await s.lab.setWanAddress("routerA");
      await echoesAfter(echo, from, ECHOES_TO_RECOVER, REBIND_RECOVERY_TIMEOUT_MS);
      const rebindRecoveredMs = Math.round(performance.now() - startedAt);
      const row = await peerRow(s, "hostA");
      assert.ok(row?.authenticated, "the session did not survive");
      const after = await exercise(s, "hostA", row.path === "relay" ? "relay" : "direct");
      console.log(
        `nat scenario ${s.name}: after a conntrack flush the stream ran again in ${flushRecoveredMs} ms; routerA ` +
          `moved to ${wan}, the stream ran again in ${rebindRecoveredMs} ms; path=${row.path} ` +
          `ping_rtt_ms=${after.pingRttMs.toFixed(3)}`,
      );
      await echo.close();
    });
  },
);
