// The control protocol's command table, called directly: argument checks, `list` on an empty gateway, `unmap` of
// something unknown, `stop` answering before it triggers shutdown. (The socket round trip is in control.int_test.ts.)
import assert from "node:assert/strict";
import { controlHandlers, Gateway, noAliases, parseSubnet, type PilotDialer } from "../../src/gateway/mod.ts";
import type { IpcClientContext } from "../../src/ipc/mod.ts";
import { Logger, MemorySink } from "../../src/log/logger.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/util/errors.ts";

const refusingDialer: PilotDialer = {
  dial: () => Promise.reject(new Error("no daemon in this test")),
  close: () => Promise.resolve(),
};

function setup(onStop: () => void = () => {}) {
  const gateway = new Gateway({
    subnet: parseSubnet("127.4.0.0/16"),
    ports: [80, 443],
    dialer: refusingDialer,
    aliases: noAliases,
    logger: new Logger({ sink: new MemorySink() }),
  });
  const handlers = controlHandlers(gateway, { pid: 4242, onStop });
  // The handlers in this table never touch the client context.
  const client = {} as IpcClientContext;
  const call = (cmd: string, args: Record<string, unknown> = {}) => handlers.commands[cmd](args, client);
  return { gateway, call };
}

Deno.test("control hello names the service and its pid", async () => {
  const { call } = setup();
  assert.deepEqual(await call("hello", { version: "1", client: "t" }), { service: "gateway", pid: 4242 });
});

Deno.test("control list reports subnet, ports and an empty mapping list", async () => {
  const { call } = setup();
  assert.deepEqual(await call("list"), { subnet: "127.4.0.0/16", ports: [80, 443], mappings: [], total: 0 });
});

Deno.test("control map refuses a missing or malformed pilot_addr and a malformed local_ip", async () => {
  const { call } = setup();
  await assert.rejects(call("map", {}), InvalidArgumentError);
  await assert.rejects(call("map", { pilot_addr: "0:0000.0000" }), /invalid address/);
  await assert.rejects(call("map", { pilot_addr: 42 }), InvalidArgumentError);
  await assert.rejects(
    call("map", { pilot_addr: "0:0000.0000.0104", local_ip: "127.4.0" }),
    /invalid local IP "127\.4\.0"/,
  );
  await assert.rejects(
    call("map", { pilot_addr: "0:0000.0000.0104", local_ip: "10.0.0.1" }),
    /local IP 10\.0\.0\.1 is outside the gateway subnet 127\.4\.0\.0\/16/,
  );
  await assert.rejects(call("map", { pilot_addr: "0:0000.0000.0104", hostname: "x".repeat(64) }), InvalidArgumentError);
});

Deno.test("control unmap of an unknown IP, address or hostname is not_found", async () => {
  const { call } = setup();
  for (const args of [{ local_ip: "127.4.0.9" }, { pilot_addr: "0:0000.0000.0104" }, { hostname: "bob" }, {}]) {
    await assert.rejects(call("unmap", args), NotFoundError);
  }
  await assert.rejects(call("unmap", { hostname: "bob" }), /no mapping for "bob"/);
  await assert.rejects(call("unmap", { local_ip: "127.4.0.9" }), /no mapping for 127\.4\.0\.9/);
});

Deno.test("control stop answers with the pid, then asks for shutdown", async () => {
  let stopped!: () => void;
  const asked = new Promise<void>((resolve) => stopped = resolve);
  let called = false;
  const { call } = setup(() => {
    called = true;
    stopped();
  });
  assert.deepEqual(await call("stop"), { pid: 4242 });
  // The reply is out before shutdown starts.
  assert.equal(called, false);
  await asked;
  assert.equal(called, true);
});
