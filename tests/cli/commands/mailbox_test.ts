// `pilotctl inbox` and `pilotctl received` (CLI.md §3.7): local files only, no daemon; layouts, --json fields,
// corrupt files skipped with a warning, and --clear.
import assert from "node:assert/strict";
import { InboxStore } from "../../../src/daemon/services/mailbox_inbox.ts";
import { ManualClock } from "../../../src/util/clock.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { runCli, tempHome } from "../_run.ts";

function dataOf(stdout: string): Record<string, unknown> {
  const env = JSON.parse(stdout);
  assert.equal(env.status, "ok");
  return env.data;
}

async function seedInbox(dir: string): Promise<void> {
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0, 4, 217));
  const inbox = new InboxStore(`${dir}/inbox`, clock);
  await inbox.store({
    type: "text",
    from: "0:0000.0000.0100",
    hostname: "alice",
    payload: utf8("hello bob"),
    broadcast: null,
  });
  clock.advance(60_000);
  await inbox.store({
    type: "binary",
    from: "0:0000.0000.0102",
    hostname: "",
    payload: new Uint8Array([0xff]),
    broadcast: null,
  });
  clock.advance(1000);
  await inbox.store({ type: "text", from: "0:0000.0000.0100", hostname: "alice", payload: utf8("all"), broadcast: 7 });
}

Deno.test("inbox lists messages oldest first, one line each, without a daemon", async () => {
  await using home = await tempHome();
  await seedInbox(home.dir);
  const out = await runCli(["inbox"], home.env);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout,
    "[2025-06-01 12:00:04] 0:0000.0000.0100 (alice) text: hello bob\n" +
      "[2025-06-01 12:01:04] 0:0000.0000.0102 binary: /w==\n" +
      "[2025-06-01 12:01:05] 0:0000.0000.0100 (alice) text: all\n",
  );
});

Deno.test("inbox --json has the §3.7 fields of each message, total and dir", async () => {
  await using home = await tempHome();
  await seedInbox(home.dir);
  const data = dataOf((await runCli(["--json", "inbox"], home.env)).stdout);
  const messages = data.messages as Record<string, unknown>[];
  assert.equal(data.total, 3);
  assert.equal(data.dir, `${home.dir}/inbox`);
  assert.deepEqual(Object.keys(messages[0]), [
    "id",
    "from",
    "hostname",
    "type",
    "data",
    "encoding",
    "bytes",
    "received_at",
    "broadcast",
  ]);
  assert.deepEqual(
    { ...messages[0], id: "" },
    {
      id: "",
      from: "0:0000.0000.0100",
      hostname: "alice",
      type: "text",
      data: "hello bob",
      encoding: "utf8",
      bytes: 9,
      received_at: "2025-06-01T12:00:04.217Z",
      broadcast: null,
    },
  );
  assert.match(messages[0].id as string, /^1748779204217-[a-z0-9]{6}$/);
  assert.deepEqual(messages.map((m) => m.broadcast), [null, null, 7]);
  assert.equal(messages[1].encoding, "base64");
});

Deno.test("inbox skips a corrupt file with a warning in human mode only", async () => {
  await using home = await tempHome();
  await seedInbox(home.dir);
  await Deno.writeTextFile(`${home.dir}/inbox/1-corrupt.json`, "{");
  const human = await runCli(["inbox"], home.env);
  assert.equal(human.code, 0);
  assert.equal(human.stdout.split("\n").length, 4);
  assert.match(human.stderr, /^warning: skipping corrupt message .*1-corrupt\.json: /);
  const json = await runCli(["--json", "inbox"], home.env);
  assert.equal(json.code, 0);
  assert.equal(json.stderr, "");
  assert.equal(dataOf(json.stdout).total, 3);
});

Deno.test("inbox with no messages says so, and --clear deletes them all", async () => {
  await using home = await tempHome();
  assert.equal((await runCli(["inbox"], home.env)).stdout, "Inbox is empty\n");
  assert.deepEqual(dataOf((await runCli(["--json", "inbox"], home.env)).stdout), {
    messages: [],
    total: 0,
    dir: `${home.dir}/inbox`,
  });
  await seedInbox(home.dir);
  assert.equal((await runCli(["inbox", "--clear"], home.env)).stdout, "Cleared 3 messages\n");
  assert.deepEqual(dataOf((await runCli(["--json", "inbox", "--clear"], home.env)).stdout), { cleared: 0 });
  assert.equal((await runCli(["inbox", "extra"], home.env)).code, 2);
});

Deno.test("received lists files as a NAME SIZE MODIFIED table and in --json", async () => {
  await using home = await tempHome();
  const dir = `${home.dir}/received`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/report.pdf`, new Uint8Array(2_900_000));
  await Deno.writeFile(`${dir}/a.txt`, new Uint8Array(12));
  await Deno.writeFile(`${dir}/.partial-xyz`, new Uint8Array(5));
  const when = new Date(Date.UTC(2025, 5, 1, 12, 0, 4));
  await Deno.utime(`${dir}/report.pdf`, when, when);
  await Deno.utime(`${dir}/a.txt`, when, when);
  const human = await runCli(["received"], home.env);
  assert.equal(
    human.stdout,
    "NAME        SIZE    MODIFIED\n" +
      "a.txt       12 B    2025-06-01 12:00:04\n" +
      "report.pdf  2.9 MB  2025-06-01 12:00:04\n",
  );
  const data = dataOf((await runCli(["--json", "received"], home.env)).stdout);
  assert.deepEqual(data, {
    files: [
      { name: "a.txt", bytes: 12, modified: "2025-06-01T12:00:04.000Z", path: `${dir}/a.txt` },
      { name: "report.pdf", bytes: 2_900_000, modified: "2025-06-01T12:00:04.000Z", path: `${dir}/report.pdf` },
    ],
    total: 2,
    dir,
  });
});

Deno.test("received with no files says so, and --clear deletes them (never a transfer in progress)", async () => {
  await using home = await tempHome();
  assert.equal((await runCli(["received"], home.env)).stdout, "No files received\n");
  const dir = `${home.dir}/received`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/x`, "x");
  await Deno.writeTextFile(`${dir}/.partial-abc`, "y");
  assert.equal((await runCli(["received", "--clear"], home.env)).stdout, "Cleared 1 files\n");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [".partial-abc"]);
  assert.equal((await runCli(["received", "x"], home.env)).code, 2);
});
