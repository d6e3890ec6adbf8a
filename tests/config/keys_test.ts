// The config key table of CLI.md §1.7: keys, defaults, and validation from text and from JSON.
import assert from "node:assert/strict";
import { CONFIG_KEY_NAMES, CONFIG_KEYS, DEFAULT_MAX_FILE_SIZE_BYTES } from "../../src/config/keys.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

Deno.test("CONFIG_KEYS lists exactly the keys of §1.7 in order", () => {
  assert.deepEqual(CONFIG_KEY_NAMES, [
    "registry",
    "registry_ca",
    "beacon",
    "socket",
    "identity",
    "listen",
    "endpoint",
    "lan_addrs",
    "email",
    "hostname",
    "public",
    "webhook",
    "webhook_secret",
    "trust_auto_approve",
    "max_file_size",
    "metrics",
    "log_level",
    "log_format",
  ]);
});

Deno.test("every key has the documented default", () => {
  const defaults = Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, CONFIG_KEYS[k].default("/h")]));
  assert.deepEqual(defaults, {
    registry: "127.0.0.1:9000",
    registry_ca: "",
    beacon: "127.0.0.1:9001",
    socket: "/tmp/pilot.sock",
    identity: "/h/identity.json",
    listen: "0.0.0.0:0",
    endpoint: "",
    lan_addrs: [],
    email: "",
    hostname: "",
    public: false,
    webhook: "",
    webhook_secret: "",
    trust_auto_approve: "none",
    max_file_size: DEFAULT_MAX_FILE_SIZE_BYTES,
    metrics: "",
    log_level: "info",
    log_format: "text",
  });
  assert.equal(DEFAULT_MAX_FILE_SIZE_BYTES, 104857600);
});

Deno.test("every default passes its own validation", () => {
  for (const key of CONFIG_KEY_NAMES) {
    const spec = CONFIG_KEYS[key];
    assert.deepEqual(spec.fromJson(spec.default("/h")), spec.default("/h"), key);
  }
});

Deno.test("fromText() types values per key", () => {
  assert.equal(CONFIG_KEYS.public.fromText("true"), true);
  assert.equal(CONFIG_KEYS.public.fromText("false"), false);
  assert.deepEqual(CONFIG_KEYS.lan_addrs.fromText("10.0.0.2:4000,10.0.0.3:4000"), ["10.0.0.2:4000", "10.0.0.3:4000"]);
  assert.deepEqual(CONFIG_KEYS.lan_addrs.fromText(""), []);
  assert.equal(CONFIG_KEYS.max_file_size.fromText("2048"), 2048);
  assert.equal(CONFIG_KEYS.registry.fromText("tls://reg.example.com:443"), "tls://reg.example.com:443");
  assert.equal(CONFIG_KEYS.listen.fromText(":0"), ":0");
  assert.equal(CONFIG_KEYS.hostname.fromText(""), "");
  assert.equal(CONFIG_KEYS.trust_auto_approve.fromText("network"), "network");
  assert.equal(CONFIG_KEYS.log_level.fromText("debug"), "debug");
});

Deno.test("fromText() rejects bad values with the value parsers' texts", () => {
  const cases: [() => unknown, string][] = [
    [() => CONFIG_KEYS.hostname.fromText("Bob"), 'invalid hostname "Bob"'],
    [() => CONFIG_KEYS.email.fromText("nope"), 'invalid email "nope"'],
    [() => CONFIG_KEYS.beacon.fromText("h:99999"), "port must be 1-65535"],
    [() => CONFIG_KEYS.public.fromText("yes"), 'invalid boolean "yes" (use true or false)'],
    [() => CONFIG_KEYS.trust_auto_approve.fromText("all"), 'invalid value "all" (use none or network)'],
    [() => CONFIG_KEYS.log_format.fromText("xml"), 'invalid value "xml" (use text or json)'],
    [() => CONFIG_KEYS.log_level.fromText("loud"), 'invalid value "loud" (use debug, info, warn or error)'],
    [() => CONFIG_KEYS.max_file_size.fromText("0"), 'invalid byte count "0"'],
    [() => CONFIG_KEYS.lan_addrs.fromText("a:1"), 'invalid ip:port "a:1"'],
    [() => CONFIG_KEYS.registry.fromText(""), 'invalid registry address "" (use host:port or tls://host:port)'],
    [() => CONFIG_KEYS.socket.fromText(""), "socket path must not be empty"],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.message === message, message);
  }
  const five = "1.1.1.1:1,1.1.1.2:1,1.1.1.3:1,1.1.1.4:1,1.1.1.5:1";
  assert.throws(() => CONFIG_KEYS.lan_addrs.fromText(five), /too many lan addresses \(max 4\)/);
});

Deno.test("fromJson() requires the right JSON type", () => {
  assert.throws(() => CONFIG_KEYS.public.fromJson("true"), /expected true or false/);
  assert.throws(() => CONFIG_KEYS.max_file_size.fromJson("10"), /expected a number/);
  assert.throws(() => CONFIG_KEYS.lan_addrs.fromJson("1.1.1.1:1"), /expected an array of strings/);
  assert.throws(() => CONFIG_KEYS.hostname.fromJson(7), /expected a string/);
  assert.equal(CONFIG_KEYS.max_file_size.fromJson(10), 10);
  assert.throws(() => CONFIG_KEYS.max_file_size.fromJson(1.5), /invalid byte count/);
});
