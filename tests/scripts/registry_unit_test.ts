import assert from "node:assert/strict";
import {
  parseRegistryUnitArgs,
  REGISTRY_UNIT_DEFAULTS,
  registryUnitText,
  stateDirectoryFor,
  systemdWord,
} from "../../scripts/registry_unit.ts";

function directives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1], [...(map.get(m[1]) ?? []), m[2]]);
  }
  return map;
}

function one(unit: string, key: string): string {
  const values = directives(unit).get(key) ?? [];
  assert.equal(values.length, 1, `${key}= appears ${values.length} times`);
  return values[0];
}

Deno.test("registryUnitText() with the defaults runs registry run as pilot with a hardened sandbox", () => {
  const unit = registryUnitText(parseRegistryUnitArgs([]));
  assert.equal(
    one(unit, "ExecStart"),
    "/usr/local/bin/pilotctl registry run --listen :9000 --beacon-listen :9001 --store /var/lib/pilot/registry.db",
  );
  const expected: [string, string][] = [
    ["User", "pilot"],
    ["Group", "pilot"],
    ["StateDirectory", "pilot"],
    ["StateDirectoryMode", "0700"],
    ["Environment", "PILOT_HOME=/var/lib/pilot"],
    ["Restart", "on-failure"],
    ["LimitNOFILE", "65536"],
    ["NoNewPrivileges", "yes"],
    ["ProtectSystem", "strict"],
    ["ProtectHome", "yes"],
    ["PrivateTmp", "yes"],
    ["ReadWritePaths", "/var/lib/pilot"],
    ["CapabilityBoundingSet", ""],
    ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
    ["WantedBy", "multi-user.target"],
  ];
  for (const [key, value] of expected) assert.equal(one(unit, key), value, key);
  // V8 JIT needs W+X pages; the directive would kill the registry at start.
  assert.ok(!directives(unit).has("MemoryDenyWriteExecute"));
  assert.ok(!directives(unit).has("AmbientCapabilities"));
  assert.ok(!directives(unit).has("LoadCredential"));
  assert.deepEqual(
    unit.split("\n").filter((l) => l.startsWith("[")),
    ["[Unit]", "[Service]", "[Install]"],
  );
  assert.ok(unit.endsWith("WantedBy=multi-user.target\n"));
});

Deno.test("registryUnitText() hands TLS files over as credentials and passes their credential paths", () => {
  const unit = registryUnitText(parseRegistryUnitArgs([
    "--tls-cert",
    "/etc/letsencrypt/live/reg.example.com/fullchain.pem",
    "--tls-key",
    "/etc/letsencrypt/live/reg.example.com/privkey.pem",
  ]));
  assert.deepEqual(directives(unit).get("LoadCredential"), [
    "tls-cert:/etc/letsencrypt/live/reg.example.com/fullchain.pem",
    "tls-key:/etc/letsencrypt/live/reg.example.com/privkey.pem",
  ]);
  assert.ok(
    one(unit, "ExecStart").endsWith(
      "--tls-cert ${CREDENTIALS_DIRECTORY}/tls-cert --tls-key ${CREDENTIALS_DIRECTORY}/tls-key",
    ),
  );
});

Deno.test("registryUnitText() passes every optional flag and the chosen user, binary and store", () => {
  const unit = registryUnitText(parseRegistryUnitArgs([
    "--user",
    "rendezvous",
    "--bin",
    "/opt/pilot/pilotctl",
    "--listen",
    "0.0.0.0:7000",
    "--beacon-listen",
    "off",
    "--store",
    "/var/lib/rdv/db/registry.db",
    "--limits",
    "/etc/pilot/limits.json",
    "--metrics",
    "127.0.0.1:9100",
    "--dashboard",
    "127.0.0.1:8080",
    "--log-level",
    "warn",
    "--log-format",
    "json",
    "--environment-file",
    "/etc/pilot/registry.env",
    "--limit-nofile",
    "200000",
  ]));
  assert.equal(
    one(unit, "ExecStart"),
    "/opt/pilot/pilotctl registry run --listen 0.0.0.0:7000 --beacon-listen off --store /var/lib/rdv/db/registry.db " +
      "--limits /etc/pilot/limits.json --metrics 127.0.0.1:9100 --dashboard 127.0.0.1:8080 --log-level warn " +
      "--log-format json",
  );
  assert.equal(one(unit, "User"), "rendezvous");
  assert.equal(one(unit, "StateDirectory"), "rdv");
  assert.equal(one(unit, "Environment"), "PILOT_HOME=/var/lib/rdv");
  assert.equal(one(unit, "ReadWritePaths"), "/var/lib/rdv/db");
  assert.equal(one(unit, "EnvironmentFile"), "/etc/pilot/registry.env");
  assert.equal(one(unit, "LimitNOFILE"), "200000");
});

Deno.test("registryUnitText() grants CAP_NET_BIND_SERVICE only for a port below 1024", () => {
  const unit = registryUnitText({ ...REGISTRY_UNIT_DEFAULTS, listen: ":443" });
  assert.equal(one(unit, "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
  assert.equal(one(unit, "CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
  const zero = registryUnitText({ ...REGISTRY_UNIT_DEFAULTS, listen: "127.0.0.1:0" });
  assert.ok(!directives(zero).has("AmbientCapabilities"));
});

Deno.test("registryUnitText() with a :memory: store adds no writable path", () => {
  const unit = registryUnitText({ ...REGISTRY_UNIT_DEFAULTS, store: ":memory:" });
  assert.ok(!directives(unit).has("ReadWritePaths"));
  assert.ok(one(unit, "ExecStart").endsWith("--store :memory:"));
});

Deno.test("registryUnitText() --postgres drops --store and reads the URL from the environment file", () => {
  const unit = registryUnitText(
    parseRegistryUnitArgs(["--postgres", "--environment-file", "/etc/pilot/registry.env", "--beacon-listen", "off"]),
  );
  assert.equal(
    one(unit, "ExecStart"),
    "/usr/local/bin/pilotctl registry run --listen :9000 --beacon-listen off",
  );
  assert.equal(one(unit, "EnvironmentFile"), "/etc/pilot/registry.env");
  assert.ok(!directives(unit).has("ReadWritePaths"));
  assert.throws(() => parseRegistryUnitArgs(["--postgres", "--store", "/var/lib/pilot/r.db"]), /exclude each other/);
  assert.throws(
    () => registryUnitText({ ...REGISTRY_UNIT_DEFAULTS, postgres: true }),
    /--postgres needs --environment-file/,
  );
});

Deno.test("registryUnitText() rejects half a TLS pair, relative paths and odd values", () => {
  const base = REGISTRY_UNIT_DEFAULTS;
  assert.throws(
    () => registryUnitText({ ...base, tlsCert: "/c.pem" }),
    /--tls-cert and --tls-key must be given together/,
  );
  assert.throws(
    () => registryUnitText({ ...base, tlsCert: "c.pem", tlsKey: "/k.pem" }),
    /invalid --tls-cert "c\.pem": must be absolute/,
  );
  assert.throws(() => registryUnitText({ ...base, bin: "pilotctl" }), /invalid --bin "pilotctl"/);
  assert.throws(() => registryUnitText({ ...base, user: "Root Admin" }), /invalid --user "Root Admin"/);
  assert.throws(() => registryUnitText({ ...base, store: "registry.db" }), /invalid --store "registry\.db"/);
  assert.throws(() => registryUnitText({ ...base, store: "/var/lib/a b/r.db" }), /must not contain spaces/);
  assert.throws(() => registryUnitText({ ...base, limitNofile: Number("lots") }), /invalid --limit-nofile "NaN"/);
  assert.throws(() => registryUnitText({ ...base, environmentFile: "env" }), /invalid --environment-file "env"/);
  assert.throws(() => parseRegistryUnitArgs(["--port", "1"]), /Unknown option '--port'/);
});

Deno.test("systemdWord() escapes specifiers and variables and quotes whitespace", () => {
  assert.equal(systemdWord("/usr/bin/pilotctl"), "/usr/bin/pilotctl");
  assert.equal(systemdWord("100%"), "100%%");
  assert.equal(systemdWord("$HOME"), "$$HOME");
  assert.equal(systemdWord("/opt/my pilot/bin"), '"/opt/my pilot/bin"');
  assert.equal(systemdWord('a"b'), '"a\\"b"');
  assert.equal(systemdWord(""), '""');
  assert.throws(() => systemdWord("a\nb"), /contains a newline/);
});

Deno.test("stateDirectoryFor() takes the folder under /var/lib and falls back to pilot", () => {
  assert.equal(stateDirectoryFor("/var/lib/pilot/registry.db"), "pilot");
  assert.equal(stateDirectoryFor("/var/lib/rdv/a/b.db"), "rdv");
  assert.equal(stateDirectoryFor("/var/lib/registry.db"), "pilot");
  assert.equal(stateDirectoryFor("/srv/pilot/registry.db"), "pilot");
});
