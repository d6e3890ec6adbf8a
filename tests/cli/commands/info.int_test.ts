// `pilotctl info` (CLI.md §3.3): every `data` field, the 13-column human block, and the registry's view of the node
// (visibility, tags, network names) filled in best effort.
import assert from "node:assert/strict";
import { ConnectionFailedError } from "../../../src/util/errors.ts";
import { dataOf, fakeDaemon, infoResult, SELF_ADDR, SELF_ID } from "./_daemon.ts";

const SELF_LOOKUP = { node_id: SELF_ID, address: SELF_ADDR, public: false, tags: ["summarizer", "gpu"] };
const NETWORKS = { networks: [{ network_id: 7, name: "lab", join_rule: "open", members: 2, member: true }] };

Deno.test("info prints the labelled block padded to 13 columns", async () => {
  await using d = await fakeDaemon({ info: infoResult(), lookup: SELF_LOOKUP, network_list: NETWORKS });
  const out = await d.run(["info"], {});
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    [
      "Pilot node",
      "  Node ID:     261",
      "  Address:     0:0000.0000.0105",
      "  Hostname:    alice",
      "  Email:       alice@example.com",
      "  Visibility:  private",
      "  Tags:        summarizer, gpu",
      "  Networks:    0 backbone, 7 lab (7:0007.0000.0105)",
      "  Uptime:      00:12:03",
      "  Connections: 2",
      "  Ports:       6",
      "  Peers:       3",
      "  Encryption:  enabled (X25519 + AES-256-GCM), 3/3 peers authenticated",
      "  Identity:    Ed25519 Zm9vYmFyYmF6cXV4... (/home/u/.pilot/identity.json)",
      "  Traffic:     1.2 MB sent / 845 KB recv",
      "  Packets:     1024 sent / 998 recv",
      "",
    ].join("\n"),
  );
  assert.deepEqual(d.argsOf("lookup"), [{ target: SELF_ADDR }]);
});

Deno.test("info --json has every field of CLI.md §3.3 in order", async () => {
  await using d = await fakeDaemon({ info: infoResult(), lookup: SELF_LOOKUP, network_list: NETWORKS });
  const data = dataOf(await d.run(["info", "--json"]));
  assert.deepEqual(Object.keys(data), [
    "node_id",
    "address",
    "hostname",
    "email",
    "public",
    "tags",
    "networks",
    "public_key",
    "identity",
    "encrypt",
    "uptime_secs",
    "connections",
    "ports",
    "peers",
    "encrypted_peers",
    "authenticated_peers",
    "bytes_sent",
    "bytes_recv",
    "pkts_sent",
    "pkts_recv",
    "peer_list",
    "conn_list",
    "registry",
    "beacon",
    "socket",
    "version",
  ]);
  assert.equal(data.public, false);
  assert.deepEqual(data.tags, ["summarizer", "gpu"]);
  assert.deepEqual(data.networks, [
    { network_id: 0, name: "backbone", address: SELF_ADDR },
    { network_id: 7, name: "lab", address: "7:0007.0000.0105" },
  ]);
  assert.equal(data.encrypt, true);
  assert.equal(data.email, "alice@example.com");
  assert.equal(data.registry, "127.0.0.1:9000");
  assert.equal(data.beacon, "127.0.0.1:9001");
  assert.equal(data.socket, d.socket);
  assert.equal(data.version, "0.1.0");
  assert.deepEqual(data.peer_list, [{
    node_id: 257,
    address: "0:0000.0000.0101",
    hostname: "bob",
    endpoint: "192.0.2.7:4000",
    path: "direct",
    encrypted: true,
    authenticated: true,
    last_seen: "2025-06-01T12:00:01.123Z",
  }]);
  assert.deepEqual(data.conn_list, []);
});

Deno.test("info still answers when the registry is unreachable: visibility null, tags [], names null", async () => {
  const down = () => Promise.reject(new ConnectionFailedError("cannot reach registry at 127.0.0.1:9000"));
  await using d = await fakeDaemon({
    info: infoResult({ hostname: "", owner: "" }),
    lookup: down,
    network_list: down,
  });
  const data = dataOf(await d.run(["--json", "info"]));
  assert.equal(data.public, null);
  assert.deepEqual(data.tags, []);
  assert.equal(data.hostname, "");
  assert.equal(data.email, "");
  assert.deepEqual(data.networks, [
    { network_id: 0, name: "backbone", address: SELF_ADDR },
    { network_id: 7, name: null, address: "7:0007.0000.0105" },
  ]);
  const human = await d.run(["info"]);
  assert.equal(human.code, 0);
  assert.ok(!human.stdout.includes("Hostname:"));
  assert.ok(!human.stdout.includes("Email:"));
  assert.ok(!human.stdout.includes("Tags:"));
  assert.ok(human.stdout.includes("  Visibility:  unknown\n"));
  assert.ok(human.stdout.includes("  Networks:    0 backbone, 7 (7:0007.0000.0105)\n"));
});

Deno.test("info takes no arguments (exit 2)", async () => {
  await using d = await fakeDaemon({ info: infoResult() });
  const out = await d.run(["info", "extra"]);
  assert.equal(out.code, 2);
  assert.equal(out.stderr, 'error: unexpected argument "extra"\nhint:  pilotctl info --help\n');
  assert.deepEqual(d.calls, []);
});

Deno.test("info takes visibility, tags and named networks from the daemon without asking the registry", async () => {
  const info = infoResult({
    public: true,
    tags: ["gpu"],
    networks: [
      { network_id: 0, name: "backbone", address: SELF_ADDR },
      { network_id: 7, name: "lab", address: "7:0007.0000.0105" },
    ],
    registry: "127.0.0.1:7777",
  });
  await using d = await fakeDaemon({ info });
  const data = dataOf(await d.run(["--json", "info"]));
  assert.equal(data.public, true);
  assert.deepEqual(data.tags, ["gpu"]);
  assert.deepEqual(data.networks, info.networks);
  assert.equal(data.registry, "127.0.0.1:7777");
  assert.deepEqual(d.calls.map((c) => c.cmd), ["info"]);
  const human = await d.run(["info"]);
  assert.match(
    human.stdout,
    /\n {2}Visibility: {2}public\n {2}Tags: {8}gpu\n {2}Networks: {4}0 backbone, 7 lab \(7:0007\.0000\.0105\)\n/,
  );
});

Deno.test("info asks network_list only for a network whose name the daemon does not know", async () => {
  const info = infoResult({
    public: false,
    tags: [],
    networks: [
      { network_id: 0, name: "backbone", address: SELF_ADDR },
      { network_id: 7, name: null, address: "7:0007.0000.0105" },
    ],
  });
  await using d = await fakeDaemon({ info, network_list: NETWORKS });
  const data = dataOf(await d.run(["--json", "info"]));
  assert.deepEqual(data.networks, [
    { network_id: 0, name: "backbone", address: SELF_ADDR },
    { network_id: 7, name: "lab", address: "7:0007.0000.0105" },
  ]);
  assert.deepEqual(d.calls.map((c) => c.cmd), ["info", "network_list"]);
});
