// Durability of the registry store under a real crash (PROTOCOL-BRIEF §4.6): a burst of concurrent registrations
// against a `registry run` process on a SQLite file, SIGKILL in the middle of it, a restart on the same file. Every
// acknowledged registration must be there (same key → same node id), no node id may be handed out twice, and the
// file must pass SQLite's integrity check. Rate limits are off for the burst (§4.5).
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { generateIdentity, type Identity } from "../../src/crypto/mod.ts";
import { openSqliteStore, RegistryClient } from "../../src/registry/mod.ts";
import { PilotError } from "../../src/util/errors.ts";
import { withTimeout } from "../../scripts/bench/pilot_process.ts";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";

const CLIENTS = 8;
/** Upper bound per client; the kill comes long before it. */
const MAX_REGISTRATIONS_PER_CLIENT = 200;
/** The process is killed once this many registrations were acknowledged. */
const KILL_AFTER_ACKS = 120;
const BURST_TIMEOUT_MS = 60_000;
const VERIFY_TIMEOUT_MS = 60_000;

interface Acked {
  readonly identity: Identity;
  readonly nodeId: number;
}

interface BurstOutcome {
  readonly acked: Acked[];
  /** Clients whose last request failed because the process died (proves the kill hit in-flight work). */
  readonly interrupted: number;
}

/**
 * One client: fresh identities registered one after another until the connection dies (true) or the bound is
 * reached (false).
 */
async function registerLoop(address: string, acked: Acked[], onAck: () => void): Promise<boolean> {
  const client = await RegistryClient.connect({ address });
  try {
    for (let i = 0; i < MAX_REGISTRATIONS_PER_CLIENT; i++) {
      const identity = generateIdentity();
      let nodeId: number;
      try {
        nodeId = (await client.register(identity, { listenPort: 4000 + i })).node_id;
      } catch (err) {
        // Only the loss of the connection is the kill's doing; any other failure is a real one.
        if (err instanceof PilotError && err.code === "connection_failed") return true;
        throw err;
      }
      acked.push({ identity, nodeId });
      onAck();
    }
    return false;
  } finally {
    await client.close();
  }
}

async function burstUntilKilled(reg: RegistryProcess): Promise<BurstOutcome> {
  const acked: Acked[] = [];
  let killed = false;
  const onAck = () => {
    if (!killed && acked.length >= KILL_AFTER_ACKS) {
      killed = true;
      reg.process.kill("SIGKILL");
    }
  };
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, () => registerLoop(reg.address, acked, onAck)),
  );
  assert.ok(killed, `the burst ended before ${KILL_AFTER_ACKS} acknowledgements`);
  return { acked, interrupted: results.filter((r) => r).length };
}

/** Re-registers every acknowledged key on `CLIENTS` connections and checks it keeps its node id. */
async function verifyAcked(address: string, acked: readonly Acked[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    await using client = await RegistryClient.connect({ address });
    while (next < acked.length) {
      const { identity, nodeId } = acked[next++];
      const ok = await client.register(identity, { listenPort: 5000 });
      assert.equal(ok.node_id, nodeId, "an acknowledged registration kept its node id");
      assert.equal(ok.new, false, `node ${nodeId} is known after the crash`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
}

function integrityCheck(path: string): string {
  const db = new DatabaseSync(path);
  try {
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

Deno.test("e2e: registrations acknowledged before a SIGKILL survive the restart and node ids are never reused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-durability-" });
  try {
    const store = `${dir}/registry.db`;
    let outcome: BurstOutcome;
    {
      await using first = await RegistryProcess.start({ store, limitsOff: true });
      outcome = await withTimeout(burstUntilKilled(first), BURST_TIMEOUT_MS, "the burst did not end in time");
      const status = await withTimeout(first.process.status, BURST_TIMEOUT_MS, "the killed process did not exit");
      assert.equal(status.signal, "SIGKILL");
    }
    const { acked, interrupted } = outcome;
    assert.ok(acked.length >= KILL_AFTER_ACKS);
    assert.ok(interrupted > 0, "at least one client lost a request to the kill");
    const ids = acked.map((a) => a.nodeId);
    assert.equal(new Set(ids).size, ids.length, "every acknowledged registration got its own node id");
    assert.equal(integrityCheck(store), "ok");

    await using second = await RegistryProcess.start({ store, limitsOff: true });
    await withTimeout(verifyAcked(second.address, acked), VERIFY_TIMEOUT_MS, "re-registration did not finish");
    await using client = await RegistryClient.connect({ address: second.address });
    const fresh = await client.register(generateIdentity(), { listenPort: 6000 });
    assert.equal(fresh.new, true);
    const maxAcked = Math.max(...ids);
    assert.ok(fresh.node_id > maxAcked, `fresh node id ${fresh.node_id} is above every acknowledged one (${maxAcked})`);
    await client.close();

    const status = await second.process.stop("SIGTERM");
    assert.equal(status.code, 0, second.process.stderr);
    // The registry's own start-up check (integrity + schema version) accepts the file after a clean stop too.
    const reopened = await openSqliteStore(store);
    await reopened.close();
    assert.equal(integrityCheck(store), "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
