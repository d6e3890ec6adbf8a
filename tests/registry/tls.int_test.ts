// The registry over TLS (PROTOCOL-BRIEF §4.1, CLI.md §3.2 --tls-cert/--tls-key): a private CA given to the client
// as caCerts, `tls://` addresses. Needs the openssl binary to mint a throw-away certificate; skipped without it.
import assert from "node:assert/strict";
import { generateIdentity } from "../../src/crypto/identity.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { startTestRegistry } from "./int_helpers.ts";

async function openssl(args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** A private CA and a localhost end-entity certificate it signed (rustls refuses a CA used as the server cert). */
async function mintCert(dir: string): Promise<{ ca: string; cert: string; key: string } | null> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await Deno.writeTextFile(
    `${dir}/leaf.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  const ok = await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "1",
    "-subj",
    "/CN=pilot test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]) &&
    await openssl(["req", ...ec, "-keyout", `${dir}/key.pem`, "-out", `${dir}/leaf.csr`, "-subj", "/CN=localhost"]) &&
    await openssl([
      "x509",
      "-req",
      "-in",
      `${dir}/leaf.csr`,
      "-CA",
      `${dir}/ca.pem`,
      "-CAkey",
      `${dir}/ca.key`,
      "-CAcreateserial",
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-extfile",
      `${dir}/leaf.ext`,
    ]);
  return ok ? { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` } : null;
}

Deno.test("a TLS registry serves tls:// clients that trust its CA and refuses those that do not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-tls-" });
  try {
    const pem = await mintCert(dir);
    if (pem === null) return; // no openssl: nothing to test with
    await using reg = await startTestRegistry({ tlsCertFile: pem.cert, tlsKeyFile: pem.key });
    assert.equal(reg.tls, true);
    const address = `tls://localhost:${reg.registryAddr.port}`;
    await using c = await RegistryClient.connect({ address, caCerts: [await Deno.readTextFile(pem.ca)] });
    assert.equal((await c.hello()).proto, 1);
    assert.equal((await c.register(generateIdentity(), { listenPort: 1 })).node_id, 0x100);
    const untrusted = await RegistryClient.connect({ address }).catch((e) => e);
    assert.equal(untrusted.code, "connection_failed");
    const plain = await startTestRegistry({ tlsCertFile: pem.cert }).catch((e) => e);
    assert.equal(plain.code, "invalid_argument");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
