// Client-side request bookkeeping (PROTOCOL-BRIEF §8.2, §10): ids, the outstanding cap, settling by id, failure.
import assert from "node:assert/strict";
import { RequestTable } from "../../src/ipc/request_table.ts";
import { ConnectionFailedError, NotFoundError } from "../../src/util/errors.ts";

Deno.test("RequestTable matches responses to requests by id, in any order", async () => {
  const table = new RequestTable();
  const sent: number[] = [];
  const a = table.run("a", (id) => sent.push(id));
  const b = table.run("b", (id) => sent.push(id));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(sent, [1, 2]);
  assert.equal(table.settle({ id: 2, ok: true, port: 7 }), true);
  assert.equal(table.settle({ id: 1, ok: false, error: { code: "not_found", message: "gone", detail: "conn" } }), true);
  assert.deepEqual(await b, { port: 7 });
  await assert.rejects(a, (e) => e instanceof NotFoundError && e.detail === "conn");
  assert.equal(table.settle({ id: 1, ok: true }), false, "an id is answered once");
});

Deno.test("RequestTable holds requests beyond its cap until a slot frees", async () => {
  const table = new RequestTable(2);
  const sent: number[] = [];
  const runs = [1, 2, 3].map((n) => table.run(`r${n}`, (id) => sent.push(id)));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(sent.length, 2, "the third waits");
  table.settle({ id: sent[0], ok: true });
  await runs[0];
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(sent.length, 3);
  for (const id of sent.slice(1)) table.settle({ id, ok: true });
  await Promise.all(runs);
});

Deno.test("RequestTable.failAll() rejects requests in flight, waiting and later", async () => {
  const table = new RequestTable(1);
  const inFlight = table.run("a", () => {});
  const waiting = table.run("b", () => {});
  const err = new ConnectionFailedError("ipc client closed", { detail: "ipc_closed" });
  await Promise.resolve();
  table.failAll(err);
  await assert.rejects(inFlight, (e) => e === err);
  await assert.rejects(waiting, (e) => e === err);
  await assert.rejects(table.run("c", () => {}), (e) => e === err);
});

Deno.test("RequestTable rejects when the frame cannot be sent", async () => {
  const table = new RequestTable();
  await assert.rejects(
    table.run("x", () => {
      throw new RangeError("too big");
    }),
    RangeError,
  );
  const ok = table.run("y", (id) => table.settle({ id, ok: true }));
  assert.deepEqual(await ok, {});
});
