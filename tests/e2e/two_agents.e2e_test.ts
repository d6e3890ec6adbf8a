// CLI.md §4, "two agents on one machine", run exactly as written with real processes: a `registry run --store
// :memory:` on loopback ports, then alice and bob (each with its own PILOT_HOME and PILOT_SOCKET) going through
// refusal before trust, handshake → pending → approve, ping by hostname, a message and the inbox, and clean-up.
// Every output line the example gives is checked (pids, times, durations and ids as variables), every exit status
// (0, except the two failures: exit 1 with `unauthorized` and `invalid_argument`), and the node ids 256 and 257.
// The same script runs again with --json, checking the envelopes: `status` first, the `data` fields of each
// command, and the error envelope (code, message, hint) on stderr.
import assert from "node:assert/strict";
import { type Agent, type Outcome, pollFor, withTwoAgents } from "./_agents.ts";
import { compileLine, isSideNote, isStderrLine, parseTranscript, PidBindings, type Step } from "./_transcript.ts";

/** CLI.md §4, verbatim. */
const TRANSCRIPT = String.raw`
# Rendezvous for this machine: registry TCP :9000 and beacon UDP :9001, throw-away store.
$ pilotctl registry run --store :memory: > /tmp/registry.out 2>&1 &

# Keep the agents apart: each has its own state directory AND its own socket.
$ alice() { PILOT_HOME=/tmp/alice PILOT_SOCKET=/tmp/alice.sock pilotctl "$@"; }
$ bob()   { PILOT_HOME=/tmp/bob   PILOT_SOCKET=/tmp/bob.sock   pilotctl "$@"; }

$ alice daemon start --hostname alice
starting daemon (pid 4101)...
Daemon running (pid 4101)
  Address:  0:0000.0000.0100
  Hostname: alice
  Socket:   /tmp/alice.sock
  Logs:     /tmp/alice/pilot.log
$ bob daemon start --hostname bob          # ... Address:  0:0000.0000.0101

# Both nodes are private. Before trust, traffic is refused (exit 1).
$ alice ping 0:0000.0000.0101 --count 1
PING 0:0000.0000.0101
error: no mutual trust with 0:0000.0000.0101
hint:  pilotctl handshake 0:0000.0000.0101

# Ask on one side, approve on the other.
$ alice handshake 0:0000.0000.0101 "nightly report summaries"
Handshake request sent to 0:0000.0000.0101
$ bob pending
NODE ID  ADDRESS           HOSTNAME  RECEIVED             JUSTIFICATION
256      0:0000.0000.0100  alice     2025-06-01 12:00:01  nightly report summaries
$ bob approve abc                          # exit 1
error: invalid node id "abc"
hint:  use a NODE ID from: pilotctl pending
$ bob approve 256
Approved node 256 (0:0000.0000.0100)

# Trusted: hostnames resolve and traffic flows.
$ alice ping bob --count 2
resolved "bob" -> 0:0000.0000.0101
PING 0:0000.0000.0101
seq=1 bytes=6 time=0.842ms
seq=2 bytes=6 time=0.391ms
--- 2 sent, 2 received, 0% loss, rtt min/avg/max 0.391/0.617/0.842 ms
$ alice send-message bob --data "hello bob"
Message sent to 0:0000.0000.0101 (9 bytes, text), acknowledged
$ bob inbox
[2025-06-01 12:00:04] 0:0000.0000.0100 (alice) text: hello bob
$ bob --json inbox
{"status":"ok","data":{"messages":[{"id":"1748779204217-k3v9q2","from":"0:0000.0000.0100","hostname":"alice","type":"text","data":"hello bob","encoding":"utf8","bytes":9,"received_at":"2025-06-01T12:00:04.217Z","broadcast":null}],"total":1,"dir":"/tmp/bob/inbox"}}

# Clean up.
$ alice daemon stop; bob daemon stop; kill %1
Daemon stopped (pid 4101)
Daemon stopped (pid 4102)
`;

const ALICE_ID = 256;
const BOB_ID = 257;
const ALICE_ADDR = "0:0000.0000.0100";
const BOB_ADDR = "0:0000.0000.0101";
/** CLI.md §4: tests wait at most this long for `pending` to list the request. */
const PENDING_WAIT_MS = 5_000;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type Mode = "human" | "json";
type Json = Record<string, unknown>;

function linesOf(text: string): string[] {
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

function describe(step: Step, out: Outcome): string {
  return `$ ${step.text}\n--- exit ${out.code}\n--- stdout\n${out.stdout}--- stderr\n${out.stderr}`;
}

/** The example's lines: stdout exactly, stderr in order with only side notes (`resolved …`) in between. */
function checkLines(step: Step, out: Outcome, paths: ReadonlyMap<string, string>, pids: PidBindings): void {
  const expected = step.expected.map((line) => ({ line, compiled: compileLine(line, paths), err: isStderrLine(line) }));
  const stdout = linesOf(out.stdout);
  const stderr = linesOf(out.stderr);
  const why = describe(step, out);
  if (step.partial) {
    for (const e of expected) {
      assert.ok(stdout.some((l) => pids.match(e.compiled, l.trim())), `no line "${e.line}"\n${why}`);
    }
    return;
  }
  const wantOut = expected.filter((e) => !e.err);
  assert.equal(stdout.length, wantOut.length, `stdout lines\n${why}`);
  wantOut.forEach((e, i) => assert.ok(pids.match(e.compiled, stdout[i]), `line ${i + 1} is not "${e.line}"\n${why}`));
  const wantErr = expected.filter((e) => e.err);
  let k = 0;
  for (const line of stderr) {
    if (k < wantErr.length && pids.match(wantErr[k].compiled, line)) k++;
    else assert.ok(isSideNote(line), `unexpected stderr line "${line}"\n${why}`);
  }
  assert.equal(k, wantErr.length, `missing stderr line "${wantErr[k]?.line}"\n${why}`);
}

/** A --json success: one line on stdout, `status` first, nothing on stderr; its `data` with these keys in order. */
function okData(step: Step, out: Outcome, keys: readonly string[]): Json {
  const why = describe(step, out);
  assert.equal(out.stderr, "", why);
  const lines = linesOf(out.stdout);
  assert.equal(lines.length, 1, why);
  const envelope = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(envelope), ["status", "data"], why);
  assert.equal(envelope.status, "ok", why);
  assert.deepEqual(Object.keys(envelope.data), keys, why);
  return envelope.data;
}

/** A --json failure: nothing on stdout, one error envelope on stderr, keys in the order of CLI.md §1.3. */
function errorEnvelope(step: Step, out: Outcome, code: string, message: string, hint: string): void {
  const why = describe(step, out);
  assert.equal(out.stdout, "", why);
  const lines = linesOf(out.stderr);
  assert.equal(lines.length, 1, why);
  const envelope = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(envelope), ["status", "code", "message", "hint"], why);
  assert.deepEqual(envelope, { status: "error", code, message, hint }, why);
}

interface JsonState {
  readonly alice: Agent;
  readonly bob: Agent;
  readonly startPids: Map<string, number>;
  messageId: string | null;
}

/** The --json checks of each command of the example (CLI.md §3.1, §3.5, §3.6, §3.7, §3.8). */
async function checkJson(step: Step, out: Outcome, s: JsonState): Promise<void> {
  const args = step.args.filter((a) => a !== "--json");
  const agent = step.who === "alice" ? s.alice : s.bob;
  const command = args[0] === "daemon" || args[0] === "approve" ? `${args[0]} ${args[1]}` : args[0];
  switch (command) {
    case "daemon start": {
      const data = okData(step, out, [
        "pid",
        "node_id",
        "address",
        "hostname",
        "socket",
        "listen",
        "metrics",
        "log_file",
        "warnings",
      ]);
      const mine = step.who === "alice";
      assert.equal(data.pid, await agent.pid());
      assert.equal(data.node_id, mine ? ALICE_ID : BOB_ID);
      assert.equal(data.address, mine ? ALICE_ADDR : BOB_ADDR);
      assert.equal(data.hostname, step.who);
      assert.equal(data.socket, agent.socket);
      assert.match(String(data.listen), /^[\d.:[\]a-f]+:\d+$/);
      assert.equal(data.metrics, null);
      assert.equal(data.log_file, `${agent.home}/pilot.log`);
      assert.deepEqual(data.warnings, []);
      return;
    }
    case "ping": {
      if (step.exitCode !== 0) {
        return errorEnvelope(
          step,
          out,
          "unauthorized",
          `no mutual trust with ${BOB_ADDR}`,
          `pilotctl handshake ${BOB_ADDR}`,
        );
      }
      const data = okData(step, out, [
        "target",
        "results",
        "sent",
        "received",
        "loss_pct",
        "min_ms",
        "avg_ms",
        "max_ms",
      ]);
      assert.equal(data.target, BOB_ADDR);
      const results = data.results as Json[];
      assert.deepEqual(results.map((r) => Object.keys(r)), [1, 2].map(() => ["seq", "bytes", "rtt_ms", "error"]));
      assert.deepEqual(results.map((r) => [r.seq, r.bytes, r.error]), [[1, 6, null], [2, 6, null]]);
      const rtts = results.map((r) => r.rtt_ms as number);
      assert.deepEqual([data.sent, data.received, data.loss_pct], [2, 2, 0]);
      assert.equal(data.min_ms, Math.min(...rtts));
      assert.equal(data.max_ms, Math.max(...rtts));
      assert.ok(
        (data.min_ms as number) <= (data.avg_ms as number) && (data.avg_ms as number) <= (data.max_ms as number),
      );
      return;
    }
    case "handshake":
      assert.deepEqual(okData(step, out, ["node_id", "address", "status"]), {
        node_id: BOB_ID,
        address: BOB_ADDR,
        status: "sent",
      });
      return;
    case "pending": {
      const data = okData(step, out, ["pending", "outgoing", "total"]);
      const rows = data.pending as Json[];
      assert.equal(rows.length, 1);
      assert.deepEqual(Object.keys(rows[0]), ["node_id", "address", "hostname", "justification", "received_at"]);
      const { received_at: receivedAt, ...rest } = rows[0];
      assert.deepEqual(rest, {
        node_id: ALICE_ID,
        address: ALICE_ADDR,
        hostname: "alice",
        justification: "nightly report summaries",
      });
      assert.match(String(receivedAt), ISO_TIME);
      assert.deepEqual([data.outgoing, data.total], [[], 1]);
      return;
    }
    case "approve abc":
      return errorEnvelope(
        step,
        out,
        "invalid_argument",
        'invalid node id "abc"',
        "use a NODE ID from: pilotctl pending",
      );
    case "approve 256": {
      const data = okData(step, out, ["node_id", "address", "status", "queued"]);
      assert.deepEqual([data.node_id, data.address, data.status], [ALICE_ID, ALICE_ADDR, "approved"]);
      assert.equal(typeof data.queued, "boolean");
      return;
    }
    case "send-message": {
      const data = okData(step, out, ["target", "type", "bytes", "message_id", "ack"]);
      assert.deepEqual([data.target, data.type, data.bytes, data.ack], [BOB_ADDR, "text", 9, true]);
      assert.match(String(data.message_id), /^\d+-[a-z0-9]+$/);
      s.messageId = data.message_id as string;
      return;
    }
    case "inbox": {
      const data = okData(step, out, ["messages", "total", "dir"]);
      const messages = data.messages as Json[];
      assert.equal(messages.length, 1);
      const { received_at: receivedAt, ...rest } = messages[0];
      assert.deepEqual(rest, {
        id: s.messageId,
        from: ALICE_ADDR,
        hostname: "alice",
        type: "text",
        data: "hello bob",
        encoding: "utf8",
        bytes: 9,
        broadcast: null,
      });
      assert.match(String(receivedAt), ISO_TIME);
      assert.deepEqual([data.total, data.dir], [1, `${s.bob.home}/inbox`]);
      return;
    }
    case "daemon stop":
      assert.deepEqual(okData(step, out, ["pid", "forced"]), { pid: s.startPids.get(step.who), forced: false });
      return;
    default:
      throw new Error(`no --json check for "${step.text}"`);
  }
}

/** Whether `pending` lists alice's request yet. */
function listsRequest(mode: Mode, out: Outcome): boolean {
  if (out.code !== 0) return false;
  if (mode === "human") return linesOf(out.stdout).some((l) => l.startsWith(`${ALICE_ID} `));
  const data = JSON.parse(out.stdout).data as { pending: Json[] };
  return data.pending.some((r) => r.node_id === ALICE_ID);
}

async function runExample(mode: Mode): Promise<void> {
  const { steps, skipped } = parseTranscript(TRANSCRIPT, ["alice", "bob"]);
  for (const s of skipped) assert.match(s, /^(pilotctl registry run --store :memory: |alice\(\) |bob\(\) |\}$)/);
  assert.equal(steps.length, 14);
  await withTwoAgents(async ({ registry, alice, bob }) => {
    const agents = new Map<string, Agent>([["alice", alice], ["bob", bob]]);
    const paths = new Map([["/tmp/alice", alice.home], ["/tmp/bob", bob.home]]);
    const pids = new PidBindings();
    const state: JsonState = { alice, bob, startPids: new Map(), messageId: null };
    for (const step of steps) {
      if (step.who === "kill") {
        // `kill %1`: the registry, which exits cleanly on SIGTERM (CLI.md §3.2).
        assert.equal((await registry.process.stop("SIGTERM")).code, 0);
        continue;
      }
      const agent = agents.get(step.who)!;
      const args = mode === "json" && !step.args.includes("--json") ? ["--json", ...step.args] : [...step.args];
      let out: Outcome;
      if (step.args[0] === "pending") {
        const listed = await pollFor(PENDING_WAIT_MS, async () => {
          const attempt = await agent.run(args);
          return listsRequest(mode, attempt) ? attempt : null;
        });
        assert.ok(listed !== null, `bob's pending did not list the request within ${PENDING_WAIT_MS} ms`);
        out = listed;
      } else {
        out = await agent.run(args);
      }
      assert.equal(out.code, step.exitCode, describe(step, out));
      if (step.args.join(" ").startsWith("daemon start")) {
        const pid = await agent.pid();
        assert.ok(pid !== null, "the daemon wrote its pid file");
        state.startPids.set(step.who, pid);
      }
      if (mode === "human" || step.args.includes("--json")) checkLines(step, out, paths, pids);
      if (mode === "json") await checkJson(step, out, state);
    }
    if (mode === "human") {
      assert.equal(pids.get("4101"), state.startPids.get("alice"), "the example's pid 4101 is alice's daemon");
      assert.equal(pids.get("4102"), state.startPids.get("bob"), "the example's pid 4102 is bob's daemon");
    }
    for (const agent of agents.values()) assert.equal(await agent.pid(), null, `${agent.name}'s daemon stopped`);
  });
}

Deno.test("CLI.md §4 runs as written: two agents, refused before trust, then trusted traffic (human output)", async () => {
  await runExample("human");
});

Deno.test("CLI.md §4 runs as written with --json: envelopes, data fields and error envelopes", async () => {
  await runExample("json");
});
