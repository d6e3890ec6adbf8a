// `pilotctl info` against a real daemon (CLI.md §3.3): the human block has the labels of the example, in its order,
// padded to 13 columns, with the values this node has (hostname, email, visibility, tags, networks with names come
// from the daemon); scripts can take word 3 of `Node ID:` and word 2 of `Address:` and `Hostname:`. The --json
// `data` carries the same facts.
import assert from "node:assert/strict";
import { type Agent, withTwoAgents } from "./_agents.ts";

/** CLI.md §3.3, verbatim. */
const EXAMPLE = `
Pilot node
  Node ID:     261
  Address:     0:0000.0000.0105
  Hostname:    alice
  Email:       alice@example.com
  Visibility:  private
  Tags:        summarizer, gpu
  Networks:    0 backbone, 7 lab (7:0007.0000.0105)
  Uptime:      00:12:03
  Connections: 2
  Ports:       6
  Peers:       3
  Encryption:  enabled (X25519 + AES-256-GCM), 3/3 peers authenticated
  Identity:    Ed25519 Zm9vYmFyYmF6cXV4... (~/.pilot/identity.json)
  Traffic:     1.2 MB sent / 845 KB recv
  Packets:     1024 sent / 998 recv
`;

const LABEL_COLUMNS = 13;
const SIZE = "\\d+(?:\\.\\d)? (?:B|KB|MB|GB|TB)";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value each label must show for alice (node 256, network 1 "lab"); counts, times and sizes are variables. */
function valuePatterns(alice: Agent): Map<string, string> {
  return new Map([
    ["Node ID", "256"],
    ["Address", escape("0:0000.0000.0100")],
    ["Hostname", "alice"],
    ["Email", escape("alice@example.com")],
    ["Visibility", "private"],
    ["Tags", "summarizer, gpu"],
    ["Networks", escape("0 backbone, 1 lab (1:0001.0000.0100)")],
    ["Uptime", "\\d\\d:\\d\\d:\\d\\d"],
    ["Connections", "\\d+"],
    ["Ports", "\\d+"],
    ["Peers", "\\d+"],
    ["Encryption", escape("enabled (X25519 + AES-256-GCM), ") + "(\\d+)/(\\d+) peers authenticated"],
    ["Identity", `Ed25519 [A-Za-z0-9+/]{16}\\.\\.\\. \\(${escape(`${alice.home}/identity.json`)}\\)`],
    ["Traffic", `${SIZE} sent / ${SIZE} recv`],
    ["Packets", "\\d+ sent / \\d+ recv"],
  ]);
}

Deno.test("info prints the CLI.md §3.3 block for a real node, its registry facts coming from the daemon", async () => {
  await withTwoAgents(async ({ alice, registry }) => {
    const started = await alice.run(["daemon", "start", "--hostname", "alice", "--email", "alice@example.com"]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal((await alice.run(["set-tags", "summarizer", "gpu"])).code, 0);
    assert.equal((await alice.run(["network", "create", "lab"])).code, 0);

    const out = await alice.run(["info"]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    const exampleLines = EXAMPLE.trim().split("\n");
    const lines = out.stdout.replace(/\n$/, "").split("\n");
    assert.equal(lines[0], exampleLines[0]);
    const labelOf = (l: string) => l.slice(2, LABEL_COLUMNS + 2).trimEnd().replace(/:$/, "");
    assert.deepEqual(lines.slice(1).map(labelOf), exampleLines.slice(1).map(labelOf), "labels, in the example's order");
    const values = valuePatterns(alice);
    for (const line of lines.slice(1)) {
      const label = labelOf(line);
      assert.equal(line.slice(0, LABEL_COLUMNS + 2), `  ${(label + ":").padEnd(LABEL_COLUMNS)}`, `padding: ${line}`);
      assert.match(line.slice(LABEL_COLUMNS + 2), new RegExp(`^${values.get(label)}$`), line);
    }
    const word = (label: string, n: number) =>
      lines.find((l) => l.trim().startsWith(label))!.trim().split(/\s+/)[n - 1];
    assert.deepEqual([word("Node ID:", 3), word("Address:", 2), word("Hostname:", 2)], [
      "256",
      "0:0000.0000.0100",
      "alice",
    ]);

    const data = JSON.parse((await alice.run(["--json", "info"])).stdout).data;
    assert.equal(data.email, "alice@example.com");
    assert.equal(data.public, false);
    assert.deepEqual(data.tags, ["summarizer", "gpu"]);
    assert.deepEqual(data.networks, [
      { network_id: 0, name: "backbone", address: "0:0000.0000.0100" },
      { network_id: 1, name: "lab", address: "1:0001.0000.0100" },
    ]);
    assert.equal(data.registry, registry.ready.registry);
    assert.equal(data.beacon, registry.ready.beacon);
    assert.equal(data.socket, alice.socket);
    assert.equal((await alice.run(["daemon", "stop"])).code, 0);
  });
});
