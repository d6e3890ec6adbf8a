// Environment and paths of CLI.md §1.6 and §1.8.
import assert from "node:assert/strict";
import { dirName, pilotPaths, resolveHome, tildePath } from "../../src/config/paths.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

Deno.test("resolveHome() uses PILOT_HOME, else ~/.pilot", () => {
  assert.equal(resolveHome(new Map([["PILOT_HOME", "/tmp/alice"], ["HOME", "/home/u"]])), "/tmp/alice");
  assert.equal(resolveHome(new Map([["PILOT_HOME", "/tmp/alice/"]])), "/tmp/alice");
  assert.equal(resolveHome(new Map([["HOME", "/home/u"]])), "/home/u/.pilot");
  assert.equal(resolveHome(new Map([["PILOT_HOME", ""], ["HOME", "/home/u"]])), "/home/u/.pilot");
});

Deno.test("resolveHome() fails with invalid_argument when neither PILOT_HOME nor HOME is set", () => {
  assert.throws(() => resolveHome(new Map()), InvalidArgumentError);
});

Deno.test("pilotPaths() names every file of §1.8", () => {
  const p = pilotPaths("/h");
  assert.deepEqual(p, {
    home: "/h",
    config: "/h/config.json",
    identity: "/h/identity.json",
    pidFile: "/h/pilot.pid",
    logFile: "/h/pilot.log",
    ipcToken: "/h/ipc.token",
    trust: "/h/trust.json",
    receivedDir: "/h/received",
    inboxDir: "/h/inbox",
    gatewayPid: "/h/gateway.pid",
    gatewaySocket: "/h/gateway.sock",
    gatewayLog: "/h/gateway.log",
    registryDb: "/h/registry.db",
    binDir: "/h/bin",
  });
});

Deno.test("tildePath() shows paths under $HOME with ~ and leaves others alone", () => {
  const env = new Map([["HOME", "/home/u"]]);
  assert.equal(tildePath("/home/u/.pilot/pilot.log", env), "~/.pilot/pilot.log");
  assert.equal(tildePath("/home/u", env), "~");
  assert.equal(tildePath("/home/user2/x", env), "/home/user2/x");
  assert.equal(tildePath("/tmp/pilot.sock", env), "/tmp/pilot.sock");
  assert.equal(tildePath("/home/u/x", new Map()), "/home/u/x");
});

Deno.test("dirName() returns the parent directory", () => {
  assert.equal(dirName("/a/b/config.json"), "/a/b");
  assert.equal(dirName("/config.json"), "/");
  assert.equal(dirName("config.json"), ".");
});
