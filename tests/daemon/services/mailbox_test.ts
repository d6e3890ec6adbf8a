// The mailbox read side (CLI.md §3.7): inbox listing oldest first with corrupt files skipped and reported, clearing,
// and the received/ listing that never shows partial or hidden files.
import assert from "node:assert/strict";
import { InboxStore } from "../../../src/daemon/services/mailbox_inbox.ts";
import { ReceivedStore } from "../../../src/daemon/services/mailbox_received.ts";
import { ManualClock } from "../../../src/util/clock.ts";
import { utf8 } from "../../../src/util/bytes.ts";

async function tempDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-mailbox-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("InboxStore.list() returns messages oldest first whatever the file order", async () => {
  await using tmp = await tempDir();
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const inbox = new InboxStore(`${tmp.dir}/inbox`, clock);
  const ids: string[] = [];
  for (const text of ["first", "second", "third"]) {
    ids.push(
      (await inbox.store({
        type: "text",
        from: "0:0000.0000.0100",
        hostname: "",
        payload: utf8(text),
        broadcast: null,
      })).id,
    );
    clock.advance(1500);
  }
  const listed = await inbox.list();
  assert.deepEqual(listed.map((m) => m.data), ["first", "second", "third"]);
  assert.deepEqual(listed.map((m) => m.id), ids);
});

Deno.test("InboxStore.list() skips corrupt files and reports each one, never failing", async () => {
  await using tmp = await tempDir();
  const inbox = new InboxStore(`${tmp.dir}/inbox`, new ManualClock());
  const good = await inbox.store({ type: "json", from: "a", hostname: "h", payload: utf8("{}"), broadcast: 3 });
  await Deno.writeTextFile(`${tmp.dir}/inbox/1-broken.json`, "{not json");
  await Deno.writeTextFile(`${tmp.dir}/inbox/2-array.json`, "[1,2]");
  await Deno.writeTextFile(`${tmp.dir}/inbox/3-fields.json`, JSON.stringify({ id: "3-fields", type: "video" }));
  await Deno.writeTextFile(`${tmp.dir}/inbox/.tmp-abc`, "in progress");
  await Deno.writeTextFile(`${tmp.dir}/inbox/notes.txt`, "not a message");
  const corrupt: string[] = [];
  const listed = await inbox.list((path) => corrupt.push(path.slice(path.lastIndexOf("/") + 1)));
  assert.deepEqual(listed, [good]);
  assert.deepEqual(corrupt.sort(), ["1-broken.json", "2-array.json", "3-fields.json"]);
});

Deno.test("InboxStore.list() of a missing directory is empty and clear() removes every message file", async () => {
  await using tmp = await tempDir();
  const inbox = new InboxStore(`${tmp.dir}/inbox`);
  assert.deepEqual(await inbox.list(), []);
  assert.equal(await inbox.clear(), 0);
  await inbox.store({ type: "text", from: "a", hostname: "", payload: utf8("x"), broadcast: null });
  await inbox.store({ type: "binary", from: "a", hostname: "", payload: new Uint8Array([0xff]), broadcast: null });
  await Deno.writeTextFile(`${tmp.dir}/inbox/9-bad.json`, "corrupt");
  assert.equal(await inbox.clear(), 3);
  assert.deepEqual(await inbox.list(), []);
});

Deno.test("InboxStore.list() passes on only the §9.2 fields of a message file", async () => {
  await using tmp = await tempDir();
  const inbox = new InboxStore(`${tmp.dir}/inbox`);
  await Deno.mkdir(`${tmp.dir}/inbox`);
  const msg = {
    id: "1700000000000-abc123",
    type: "text",
    from: "0:0000.0000.0100",
    hostname: "alice",
    received_at: "2023-11-14T22:13:20.000Z",
    bytes: 2,
    encoding: "utf8",
    data: "hi",
    broadcast: null,
  };
  await Deno.writeTextFile(`${tmp.dir}/inbox/${msg.id}.json`, JSON.stringify({ ...msg, extra: "ignored" }));
  assert.deepEqual(await inbox.list(), [msg]);
});

Deno.test("ReceivedStore.list() shows regular files only: no partials, dot files, directories or links", async () => {
  await using tmp = await tempDir();
  const store = new ReceivedStore(`${tmp.dir}/received`);
  await store.prepare();
  await Deno.writeTextFile(`${tmp.dir}/received/b.txt`, "bb");
  await Deno.writeTextFile(`${tmp.dir}/received/a.txt`, "a");
  await Deno.writeTextFile(`${tmp.dir}/received/.partial-x`, "partial");
  await Deno.mkdir(`${tmp.dir}/received/sub`);
  if (Deno.build.os !== "windows") await Deno.symlink(`${tmp.dir}/received/a.txt`, `${tmp.dir}/received/link`);
  const files = await store.list();
  assert.deepEqual(files.map((f) => [f.name, f.bytes]), [["a.txt", 1], ["b.txt", 2]]);
  assert.match(files[0].modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(files[0].path, `${tmp.dir}/received/a.txt`);
  assert.equal(await store.clear(), 2);
  assert.deepEqual(await store.list(), []);
  // The partial of a transfer in progress survives a clear.
  await Deno.stat(`${tmp.dir}/received/.partial-x`);
});

Deno.test("ReceivedStore refuses a symbolic link where received/ should be", async () => {
  if (Deno.build.os === "windows") return;
  await using tmp = await tempDir();
  await Deno.mkdir(`${tmp.dir}/elsewhere`);
  await Deno.symlink(`${tmp.dir}/elsewhere`, `${tmp.dir}/received`);
  const store = new ReceivedStore(`${tmp.dir}/received`);
  await assert.rejects(() => store.begin("x", 1), /not a directory/);
  assert.equal(store.reservedBytes, 0);
});
