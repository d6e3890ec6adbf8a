// Name parsers of CLI.md §1.5: hostnames, network names, tags, emails; and webhook URLs (§3.10).
import assert from "node:assert/strict";
import {
  parseEmail,
  parseHostname,
  parseNetworkName,
  parseTag,
  parseTags,
  parseWebhookUrl,
  RESERVED_NAMES,
} from "../../src/config/names.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgumentError && err.message === message);
}

Deno.test("parseHostname() accepts 1-63 of a-z0-9- starting and ending alphanumeric", () => {
  for (const ok of ["a", "alice", "bob-2", "x1", "1a", "a".repeat(63), "9-lives"]) assert.equal(parseHostname(ok), ok);
});

Deno.test("parseHostname() rejects upper case, edges, all digits and reserved names", () => {
  for (const bad of ["Alice", "", "-a", "a-", "a_b", "a.b", "123", "a b", "ä", ...RESERVED_NAMES]) {
    rejects(() => parseHostname(bad), `invalid hostname "${bad}"`);
  }
  assert.deepEqual(RESERVED_NAMES, ["localhost", "backbone", "broadcast", "registry", "beacon", "nameserver"]);
});

Deno.test("parseHostname() reports more than 63 characters as too long", () => {
  rejects(() => parseHostname("a".repeat(64)), "hostname too long (max 63 characters)");
});

Deno.test("parseNetworkName() follows the hostname rules with its own message", () => {
  assert.equal(parseNetworkName("lab"), "lab");
  rejects(() => parseNetworkName("Lab"), 'invalid network name "Lab"');
  rejects(() => parseNetworkName("backbone"), 'invalid network name "backbone"');
  rejects(() => parseNetworkName("7"), 'invalid network name "7"');
  rejects(() => parseNetworkName("n".repeat(64)), "network name too long (max 63 characters)");
});

Deno.test("parseTag() drops a leading # and accepts 1-32 of a-z0-9-", () => {
  assert.equal(parseTag("gpu"), "gpu");
  assert.equal(parseTag("#gpu"), "gpu");
  assert.equal(parseTag("a".repeat(32)), "a".repeat(32));
  assert.equal(parseTag("123"), "123");
  for (const bad of ["", "#", "GPU", "-a", "a-", "a_b", "a".repeat(33), "##a"]) {
    rejects(() => parseTag(bad), `invalid tag "${bad}"`);
  }
});

Deno.test("parseTags() deduplicates and allows at most 10", () => {
  assert.deepEqual(parseTags(["a", "#a", "b"]), ["a", "b"]);
  const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
  assert.equal(parseTags(ten).length, 10);
  assert.equal(parseTags([...ten, "t0"]).length, 10);
  rejects(() => parseTags([...ten, "t10"]), "too many tags (max 10)");
});

Deno.test("parseEmail() accepts local@domain.tld up to 254 characters", () => {
  for (const ok of ["alice@example.com", "a.b+c@mail.example.org", "x@y.io"]) assert.equal(parseEmail(ok), ok);
  const long = `${"a".repeat(64)}@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.com`;
  assert.ok(long.length <= 254);
  assert.equal(parseEmail(long), long);
  for (const bad of ["", "alice", "alice@", "@example.com", "alice@example", "a b@c.de", "a@b@c.de", "a@-b.com"]) {
    rejects(() => parseEmail(bad), `invalid email "${bad}"`);
  }
  const tooLong = `${"a".repeat(60)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`;
  assert.ok(tooLong.length > 254);
  rejects(() => parseEmail(tooLong), `invalid email "${tooLong}"`);
});

Deno.test("parseWebhookUrl() accepts only http and https", () => {
  assert.equal(parseWebhookUrl("https://example.com/hook"), "https://example.com/hook");
  assert.equal(parseWebhookUrl("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080/x");
  for (const bad of ["ftp://x", "example.com", "", "http://"]) {
    rejects(() => parseWebhookUrl(bad), `invalid webhook URL "${bad}" (use http:// or https://)`);
  }
});
