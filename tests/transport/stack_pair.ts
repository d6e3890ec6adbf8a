// Test support: two stream stacks joined by a 5 ms link in virtual time (packets passed as objects, no codec),
// with switchable trust; and settle(), which runs virtual time until a promise settles.
import { SimClock } from "../_support/sim_clock.ts";
import { StreamStack, type StreamStackDeps } from "../../src/transport/stack.ts";
import type { Addr, Packet } from "../../src/wire/mod.ts";

export const A: Addr = { network: 0, node: 0x101 };
export const B: Addr = { network: 0, node: 0x102 };

export interface Net {
  clock: SimClock;
  a: StreamStack;
  b: StreamStack;
  /** Every packet each stack sent. */
  fromA: Packet[];
  fromB: Packet[];
  trust: { aTrustsB: boolean; bTrustsA: boolean };
}

/** Two stacks joined by a 5 ms link in virtual time. */
export function net(over: { a?: Partial<StreamStackDeps>; b?: Partial<StreamStackDeps> } = {}): Net {
  const clock = new SimClock();
  const trust = { aTrustsB: true, bTrustsA: true };
  const fromA: Packet[] = [];
  const fromB: Packet[] = [];
  const n = { clock, fromA, fromB, trust } as Net;
  n.a = new StreamStack({
    clock,
    timers: clock,
    localNode: A.node,
    output: (p) => {
      fromA.push(p);
      clock.after(5, () => n.b.handle(p));
    },
    isTrusted: () => trust.aTrustsB,
    ...over.a,
  });
  n.b = new StreamStack({
    clock,
    timers: clock,
    localNode: B.node,
    output: (p) => {
      fromB.push(p);
      clock.after(5, () => n.a.handle(p));
    },
    isTrusted: () => trust.bTrustsA,
    ...over.b,
  });
  return n;
}

/** Runs virtual time until `p` settles (at most two virtual minutes) and returns its outcome. */
export async function settle<T>(clock: SimClock, p: Promise<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  p.then((value) => outcome = { ok: true, value }, (error) => outcome = { ok: false, error });
  await clock.runAsync({ until: () => outcome !== null, deadline: clock.monotonic() + 120_000 });
  const o = outcome as { ok: true; value: T } | { ok: false; error: unknown } | null;
  if (o === null) throw new Error("promise did not settle within two virtual minutes");
  if (!o.ok) throw o.error;
  return o.value;
}
