// Test support: a randomised two-way scenario. From one seed: impairments per direction (latency, jitter, loss up
// to 15%, duplication, reordering, a rate limit with a small queue), buffer sizes down to 4 segments, Nagle on or
// off, slow readers that return credit on a timer, writes of random sizes, and path-limit changes mid-stream. Both
// directions must arrive byte-exact and both sides must close normally.
import { Prng } from "../_support/prng.ts";
import type { LinkConfig } from "../_support/sim_net.ts";
import { type AppView, SimPair, testData } from "./sim_pair.ts";

const MAX_BYTES_EACH_WAY = 400_000;
const VIRTUAL_BUDGET_MS = 3_600_000;
const BUFFER_CHOICES = [4 * 1152, 64 * 1024, 2 * 1024 * 1024];
const SEND_BUFFER_CHOICES = [3000, 100_000, 1024 * 1024];
const PATH_LIMIT_CHOICES = [1152, 3000, 9000];

function randomLink(rng: Prng): LinkConfig {
  return {
    latencyMs: rng.int(1, 80),
    jitterMs: rng.int(0, 5),
    loss: rng.float() * 0.15,
    duplicate: rng.float() < 0.3 ? rng.float() * 0.1 : 0,
    reorder: rng.float() < 0.3 ? rng.float() * 0.1 : 0,
    reorderDelayMs: rng.int(1, 30),
    bandwidthBps: rng.float() < 0.5 ? rng.int(1, 50) * 1_000_000 : 0,
    queueBytes: rng.int(20, 500) * 1024,
  };
}

/** Runs the scenario of `seed`; returns null on success, else a description of what went wrong. */
export function runChaos(seed: number): string | null {
  const rng = new Prng(seed);
  const pair = new SimPair({
    seed,
    ab: randomLink(rng),
    ba: randomLink(rng),
    autoCredit: false,
    client: {
      recvBufferBytes: rng.pick(BUFFER_CHOICES),
      sendBufferBytes: rng.pick(SEND_BUFFER_CHOICES),
      nodelay: rng.bool(),
      pathLimit: rng.pick(PATH_LIMIT_CHOICES),
    },
    server: {
      recvBufferBytes: rng.pick(BUFFER_CHOICES),
      sendBufferBytes: rng.pick(SEND_BUFFER_CHOICES),
      nodelay: rng.bool(),
    },
  });
  pair.client.autoCredit = false;
  const up = testData(rng.int(0, MAX_BYTES_EACH_WAY), seed);
  const down = testData(rng.int(0, MAX_BYTES_EACH_WAY), seed + 1);
  const got = { up: 0, down: 0 };
  let mismatch = "";
  const verify = (data: Uint8Array, dir: "up" | "down") => (chunk: Uint8Array) => {
    for (let i = 0; i < chunk.length && mismatch === ""; i++) {
      if (data[got[dir] + i] !== chunk[i]) mismatch = `${dir} byte ${got[dir] + i} differs`;
    }
    got[dir] += chunk.length;
  };
  slowReader(pair, pair.server, verify(up, "up"), rng.int(1, 50), rng.pick([1000, 50_000, Infinity]));
  slowReader(pair, pair.client, verify(down, "down"), rng.int(1, 50), rng.pick([1000, 50_000, Infinity]));
  const pumpUp = writer(pair.client, up, rng);
  const pumpDown = writer(pair.server, down, rng);
  pair.client.onWritable = pumpUp;
  pair.server.onWritable = pumpDown;
  const startServer = () => {
    if (pair.server.established) pumpDown();
    else pair.clock.after(5, startServer);
  };
  pair.clock.after(5, startServer);
  for (let k = 0; k < 3; k++) {
    const limit = rng.pick(PATH_LIMIT_CHOICES);
    pair.clock.after(rng.int(0, 20_000), () => {
      if (pair.client.state !== "CLOSED") pair.client.driver?.run((c) => c.setPathLimit(limit));
    });
  }
  pair.connect();
  pumpUp();
  const ended = (v: AppView) => v.state === "TIME_WAIT" || v.state === "CLOSED";
  const complete = () =>
    got.up === up.length && got.down === down.length && pair.server.eof && pair.client.eof && ended(pair.client) &&
    ended(pair.server);
  const r = pair.run(() => mismatch !== "" || complete(), VIRTUAL_BUDGET_MS);
  const normal = (v: AppView) => v.closed === null || v.closed.kind === "normal";
  if (mismatch === "" && complete() && normal(pair.client) && normal(pair.server)) return null;
  return `seed ${seed}: ${mismatch || "incomplete"}; up ${got.up}/${up.length}, down ${got.down}/${down.length}, ` +
    `stop ${r.stop} at ${pair.clock.monotonic().toFixed(0)} ms, client ${pair.client.state} ` +
    `${JSON.stringify(pair.client.closed)}, server ${pair.server.state} ${JSON.stringify(pair.server.closed)}`;
}

/** Checks each chunk on arrival, and returns read credit on a timer, at most `perTick` bytes at a time. */
function slowReader(pair: SimPair, view: AppView, check: (c: Uint8Array) => void, everyMs: number, perTick: number) {
  view.keepChunks = false;
  let unread = 0;
  view.onData = (c) => {
    check(c);
    unread += c.length;
  };
  const tick = () => {
    if (unread > 0 && view.state !== "CLOSED") {
      const n = Math.min(unread, perTick);
      unread -= n;
      view.driver?.run((c) => c.readCredit(n));
    }
    if (pair.clock.monotonic() < VIRTUAL_BUDGET_MS) pair.clock.after(everyMs, tick);
  };
  pair.clock.after(everyMs, tick);
}

/** Writes `data` in random-sized pieces as send space allows, then half-closes. */
function writer(view: AppView, data: Uint8Array, rng: Prng): () => void {
  let written = 0;
  return () => {
    const d = view.driver;
    if (d === null || !d.conn.canWrite) return;
    while (written < data.length && d.conn.sendSpace > 0) {
      const n = Math.min(d.conn.sendSpace, data.length - written, rng.int(1, 70_000));
      const piece = data.subarray(written, written + n);
      d.run((c) => c.write(piece));
      written += n;
    }
    if (written === data.length) d.run((c) => c.closeWrite());
  };
}
