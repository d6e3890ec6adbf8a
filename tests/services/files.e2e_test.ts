// Files and messages between real processes (PROTOCOL-BRIEF §9.2, §10; CLI.md §3.6, §3.7, §1.8): a `registry run`
// process and two daemons started with `pilotctl daemon start`. A 50 MB `send-file` arrives intact; hostile file
// names crafted into FILE frames never leave received/; a file over the receiver's max_file_size is refused and
// leaves nothing; a kill -9 of the receiver mid-transfer leaves no file under its final name and its partial is
// removed at the next start; every acknowledged message survives a kill -9.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { RegistryProcess } from "../../scripts/bench/registry_process.ts";
import { sha256 } from "../../src/crypto/hash.ts";
import { AckReader, DataExchangeSender } from "../../src/daemon/services/data_exchange_client.ts";
import { type Ack, FRAME_HEADER_BYTES, FrameType } from "../../src/daemon/services/data_exchange_codec.ts";
import { webServiceStream } from "../../src/daemon/services/service_stream.ts";
import type { IpcClient, IpcStream } from "../../src/ipc/mod.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { runCli } from "../cli/_run.ts";
import { type Agent, agent, type Started, until } from "./_agents.ts";
import { dirNames } from "./_nodes.ts";

const MAX_FILE_SIZE = 60_000_000;
const BIG_FILE_BYTES = 50 * 1024 * 1024;
const WRITE_CHUNK = 1024 * 1024;

interface Side {
  readonly agent: Agent;
  readonly started: Started;
  client: IpcClient;
}

interface Pair extends AsyncDisposable {
  readonly root: string;
  readonly alice: Side;
  readonly bob: Side;
  /** Starts bob's daemon again after a kill, with a fresh IPC client. */
  restartBob(): Promise<void>;
}

/** Registry, alice and bob (bob's max_file_size = 60 MB), trusting each other. */
async function pair(): Promise<Pair> {
  const root = await Deno.makeTempDir({ prefix: "pilot-files-" });
  const cleanup: (() => PromiseLike<void>)[] = [() => Deno.remove(root, { recursive: true })];
  const dispose = async () => {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
  };
  try {
    const reg = await RegistryProcess.start({ store: ":memory:", limitsOff: true });
    cleanup.push(() => reg[Symbol.asyncDispose]());
    const sides: Side[] = [];
    for (const name of ["alice", "bob"]) {
      const a = agent(root, name, reg.ready.registry, reg.ready.beacon!);
      cleanup.push(() => a[Symbol.asyncDispose]());
      if (name === "bob") {
        const set = await runCli(["config", "--set", `max_file_size=${MAX_FILE_SIZE}`], a.env);
        assert.equal(set.code, 0, set.stderr);
      }
      const started = await a.start();
      const side: Side = { agent: a, started, client: await a.ipc() };
      cleanup.push(() => side.client.close());
      sides.push(side);
    }
    const [alice, bob] = sides;
    await alice.agent.json(["handshake", bob.started.address, "files"]);
    await until(async () =>
      (await bob.client.request("trust_pending")).incoming.some((r) => r.node_id === alice.started.node_id)
    );
    await bob.agent.json(["approve", String(alice.started.node_id)]);
    await until(async () =>
      (await alice.client.request("trust_list")).trusted.some((r) => r.node_id === bob.started.node_id)
    );
    return {
      root,
      alice,
      bob,
      async restartBob() {
        await bob.client.close().catch(() => {});
        await bob.agent.start();
        bob.client = await bob.agent.ipc();
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** `size` random bytes written to `path`; returns their sha256 (hex). */
async function randomFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(WRITE_CHUNK);
  for (let off = 0; off < size; off += WRITE_CHUNK) {
    const part = chunk.subarray(0, Math.min(WRITE_CHUNK, size - off));
    for (let i = 0; i < part.length; i += 65_536) crypto.getRandomValues(part.subarray(i, i + 65_536));
    hash.update(part);
    for (let w = 0; w < part.length;) w += await file.write(part.subarray(w));
  }
  return hash.digest("hex");
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** A port-1001 session from alice to bob over alice's IPC socket. */
async function exchange(p: Pair): Promise<{ sender: DataExchangeSender; stream: IpcStream }> {
  const stream = await p.alice.client.dialStream({ addr: p.bob.started.address, port: 1001, timeout_ms: 15_000 });
  const sender = new DataExchangeSender(webServiceStream(stream.readable, stream.writable), p.bob.started.address);
  return { sender, stream };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Every path under `dir` (relative), skipping what `skip` says. */
async function tree(dir: string, skip: (rel: string) => boolean, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (skip(rel)) continue;
    out.push(rel);
    if (e.isDirectory) out.push(...await tree(`${dir}/${e.name}`, skip, `${rel}/`));
  }
  return out.sort();
}

interface ReceivedList {
  readonly files: { name: string; bytes: number; path: string }[];
  readonly total: number;
}

Deno.test("send-file between real daemons: 50 MB intact, hostile names stay in received/, over-limit refused", async (t) => {
  await using p = await pair();
  const bobReceived = `${p.bob.agent.home}/received`;

  await t.step("a 50 MB file arrives with an equal sha256", async () => {
    const path = `${p.root}/big.bin`;
    const digest = await randomFile(path, BIG_FILE_BYTES);
    const sent = await p.alice.agent.json(["send-file", p.bob.started.address, path, "--timeout", "100s"]);
    assert.deepEqual(sent, {
      filename: "big.bin",
      bytes: BIG_FILE_BYTES,
      sha256: digest,
      destination: p.bob.started.address,
      ack: true,
    });
    assert.equal(await fileSha256(`${bobReceived}/big.bin`), digest);
    const listed = await p.bob.agent.json<ReceivedList>(["received"]);
    assert.deepEqual(listed.files.map((f) => [f.name, f.bytes]), [["big.bin", BIG_FILE_BYTES]]);
    assert.deepEqual(await dirNames(bobReceived), ["big.bin"], "no partial left behind");
    assert.equal((await Deno.stat(bobReceived)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${bobReceived}/big.bin`)).mode! & 0o777, 0o600);
    await Deno.remove(path);
    await Deno.remove(`${bobReceived}/big.bin`);
  });

  await t.step("hostile names sent in FILE frames are stored only under received/, sanitised", async () => {
    // A symbolic link already in received/ must be neither followed nor replaced.
    const outside = `${p.root}/outside.txt`;
    await Deno.writeTextFile(outside, "untouched");
    await Deno.symlink(outside, `${bobReceived}/trap.txt`);
    const notReceived = (rel: string) => rel === "bob/received" || rel.startsWith("bob/received/");
    const before = await tree(p.root, notReceived);
    const cases: [string, string][] = [
      ["../x", "x"],
      ["../../../../../../tmp/pilot-escape", "pilot-escape"],
      ["/etc/passwd", "passwd"],
      ["..\\..\\boot.ini", "boot.ini"],
      ["C:\\Windows\\evil.bat", "evil.bat"],
      ["a\u0000b", "ab"],
      ["\u0000", "file"],
      ["..", "file-1"],
      [".bashrc", "bashrc"],
      ["CON.txt", "_CON.txt"],
      ["nul", "_nul"],
      ["com1.log", "_com1.log"],
      ['q<u>o:t"e|s?*.txt', "quotes.txt"],
      ["trailing. . ", "trailing"],
      ["x", "x-1"],
      ["trap.txt", "trap-1.txt"],
      ["n".repeat(251) + ".txt", "n".repeat(200)],
      ["é".repeat(127), "é".repeat(100)],
    ];
    const { sender, stream } = await exchange(p);
    try {
      for (const [i, [name, stored]] of cases.entries()) {
        const content = utf8(`content ${i}`);
        const ack = await sender.sendFile({
          name,
          size: content.length,
          sha256: sha256(content),
          content: once(content),
        });
        assert.deepEqual([ack.status, ack.stored], ["ok", stored], JSON.stringify(name));
        assert.equal(await Deno.readTextFile(`${bobReceived}/${stored}`), `content ${i}`);
      }
      await sender.finish();
    } finally {
      await stream.close("both").catch(() => {});
    }
    const expected = [...new Set(cases.map(([, stored]) => stored)), "trap.txt"].sort();
    assert.deepEqual(await dirNames(bobReceived), expected);
    for (const name of expected) {
      if (name === "trap.txt") continue;
      const info = await Deno.lstat(`${bobReceived}/${name}`);
      assert.ok(info.isFile && (info.mode! & 0o777) === 0o600, name);
    }
    assert.equal(await Deno.readTextFile(outside), "untouched");
    assert.deepEqual(await tree(p.root, notReceived), before, "nothing appeared outside received/");
    await assert.rejects(() => Deno.lstat("/tmp/pilot-escape"), Deno.errors.NotFound);
    // `received` lists regular files only: the link is not one of them.
    const listed = await p.bob.agent.json<ReceivedList>(["received"]);
    assert.equal(listed.total, expected.length - 1);
    assert.ok(listed.files.every((f) => f.path === `${bobReceived}/${f.name}`));
    await Deno.remove(`${bobReceived}/trap.txt`);
    assert.equal((await p.bob.agent.json<{ cleared: number }>(["received", "--clear"])).cleared, expected.length - 1);
  });

  await t.step("a name of 0 or 300 bytes breaks the FILE frame: bad_frame, closed, nothing stored", async () => {
    for (const nameLength of [0, 300]) {
      const stream = await p.alice.client.dialStream({ addr: p.bob.started.address, port: 1001, timeout_ms: 15_000 });
      const svc = webServiceStream(stream.readable, stream.writable);
      try {
        const name = utf8("n".repeat(nameLength));
        const content = utf8("payload");
        const frame = new Uint8Array(FRAME_HEADER_BYTES + 2 + name.length + 32 + content.length);
        const view = new DataView(frame.buffer);
        view.setUint32(0, FrameType.FILE);
        view.setUint32(4, frame.length - FRAME_HEADER_BYTES);
        view.setUint16(8, nameLength);
        frame.set(name, 10);
        frame.set(sha256(content), 10 + name.length);
        frame.set(content, 10 + name.length + 32);
        await svc.write(frame);
        const acks = new AckReader();
        let ack: Ack | null = null;
        let eof = false;
        for (let i = 0; i < 100 && !eof; i++) {
          const chunk = await svc.read();
          if (chunk === null) eof = true;
          else acks.push(chunk);
          ack ??= acks.next();
        }
        assert.deepEqual([ack?.status, ack?.code], ["error", "bad_frame"], `name of ${nameLength} bytes`);
        assert.ok(eof, "the receiver closes the connection");
      } finally {
        await stream.close("both").catch(() => {});
      }
    }
    assert.deepEqual(await dirNames(bobReceived), []);
  });

  await t.step("a file over the receiver's max_file_size is refused and leaves nothing behind", async () => {
    const path = `${p.root}/huge.bin`;
    using f = await Deno.open(path, { write: true, create: true, truncate: true });
    await f.truncate(MAX_FILE_SIZE + 1);
    const out = await p.alice.agent.run(["--json", "send-file", p.bob.started.address, path]);
    assert.equal(out.code, 1, out.stdout);
    const err = JSON.parse(out.stderr);
    assert.deepEqual([err.code, err.message], [
      "invalid_argument",
      `file too large for receiver (limit ${MAX_FILE_SIZE} bytes)`,
    ]);
    assert.deepEqual(await dirNames(bobReceived), []);
    // The refusal ended only that transfer: the next one goes through.
    const small = `${p.root}/small.txt`;
    await Deno.writeTextFile(small, "fits");
    assert.equal((await p.alice.agent.json<{ ack: boolean }>(["send-file", p.bob.started.address, small])).ack, true);
    assert.deepEqual(await dirNames(bobReceived), ["small.txt"]);
  });
});

interface InboxList {
  readonly messages: { id: string; data: string; from: string }[];
}

Deno.test("kill -9 of the receiver mid-stream: every acknowledged message is in its inbox", async () => {
  await using p = await pair();
  const acked: string[] = [];
  const { sender, stream } = await exchange(p);
  let killing: Promise<void> | null = null;
  try {
    let failed = false;
    for (let i = 0; i < 5_000 && !failed; i++) {
      // Once bob is dead nothing answers: the stream is aborted so the pending send fails.
      const ack = await sender.sendMessage(FrameType.TEXT, utf8(`message ${i}`)).catch(() => null);
      if (ack === null) failed = true;
      else if (ack.status === "ok") acked.push(ack.message_id!);
      if (acked.length === 20 && killing === null) {
        killing = p.bob.agent.kill9().then(() => stream.close("abort").catch(() => {}));
      }
    }
    assert.ok(failed, "the kill ended the stream");
    await killing;
  } finally {
    await stream.close("both").catch(() => {});
  }
  assert.ok(acked.length >= 20);
  // `inbox` reads the files without the daemon; no message file is torn.
  const human = await p.bob.agent.run(["inbox"]);
  assert.equal(human.code, 0);
  assert.doesNotMatch(human.stderr, /warning/);
  const listed = await p.bob.agent.json<InboxList>(["inbox"]);
  const ids = new Set(listed.messages.map((m) => m.id));
  for (const id of acked) assert.ok(ids.has(id), `acknowledged message ${id} is in the inbox`);
  for (const m of listed.messages) assert.equal(m.from, p.alice.started.address);
  // A message torn by the crash before its rename is an unacknowledged temporary: the next start removes it.
  const inboxDir = `${p.bob.agent.home}/inbox`;
  await Deno.writeTextFile(`${inboxDir}/.tmp-torn0000001`, '{"id":"17');
  await p.restartBob();
  const after = await p.bob.agent.json<InboxList>(["inbox"]);
  assert.deepEqual(after.messages.map((m) => m.id), listed.messages.map((m) => m.id));
  assert.deepEqual((await dirNames(inboxDir)).filter((n) => n.startsWith(".")), []);
});

Deno.test("kill -9 of the receiver mid-transfer: no final name, no listing, the partial removed at the next start", async () => {
  await using p = await pair();
  const bobReceived = `${p.bob.agent.home}/received`;
  const size = 16 * 1024 * 1024;
  const half = size / 2;
  const content = crypto.getRandomValues(new Uint8Array(65_536));
  const digest = createHash("sha256");
  for (let off = 0; off < size; off += content.length) digest.update(content);
  // The sender stops half-way until the receiver is dead.
  const gate = Promise.withResolvers<void>();
  async function* body(): AsyncIterable<Uint8Array> {
    for (let off = 0; off < half; off += content.length) yield content;
    await gate.promise;
    for (let off = half; off < size; off += content.length) yield content;
  }
  const { sender, stream } = await exchange(p);
  const sending = sender.sendFile({ name: "half.bin", size, sha256: new Uint8Array(digest.digest()), content: body() })
    .then(() => "acked", () => "failed");
  try {
    let partial = "";
    await until(
      async () => {
        const names = (await dirNames(bobReceived)).filter((n) => n.startsWith(".partial-"));
        if (names.length !== 1) return false;
        partial = names[0];
        return (await Deno.stat(`${bobReceived}/${partial}`)).size >= half;
      },
      30_000,
      "half of the file at the receiver",
    );
    // Half-way: only the partial exists, and `received` does not list it.
    assert.deepEqual(await dirNames(bobReceived), [partial]);
    assert.equal((await p.bob.agent.json<ReceivedList>(["received"])).total, 0);

    await p.bob.agent.kill9();
    await stream.close("abort").catch(() => {});
    gate.resolve();
    assert.equal(await sending, "failed");
    assert.deepEqual(await dirNames(bobReceived), [partial], "the crash left the partial, under no final name");
    assert.equal((await p.bob.agent.json<ReceivedList>(["received"])).total, 0);
  } finally {
    gate.resolve();
    await stream.close("both").catch(() => {});
  }
  await p.restartBob();
  assert.deepEqual(await dirNames(bobReceived), [], "partials are removed at start");
  assert.equal((await p.bob.agent.json<ReceivedList>(["received"])).total, 0);
});

// A peer killed with -9 and restarted on a new UDP port is found again: the dialer checks a quiet session with a
// PATH_CHALLENGE and, unanswered, looks the peer up and handshakes anew (src/daemon/dialer.ts).
Deno.test({
  name: "a receiver restarted on a new port after kill -9 is reachable again by the sender",
  fn: async () => {
    await using p = await pair();
    await p.bob.agent.kill9();
    await p.restartBob();
    const again = await p.alice.agent.run(["--json", "send-message", p.bob.started.address, "--data", "back"]);
    assert.equal(again.code, 0, again.stderr);
  },
});
