// The PostgreSQL test database for the registry's shared-store tests: the URL comes from PILOT_TEST_POSTGRES_URL or
// from the file .ci/setup-system.sh writes (/tmp/pilot-postgres-url; .ci/run sources nothing). Without a reachable
// server the tests are registered as ignored, with one message saying why — except under CI=true, where they fail,
// so CI cannot go green without them. Every test works in a fresh schema that is dropped afterwards.
import postgres from "postgres";
import { randomBytes, toHex } from "../../src/util/bytes.ts";

export const POSTGRES_URL_ENV = "PILOT_TEST_POSTGRES_URL";
export const POSTGRES_URL_FILE = "/tmp/pilot-postgres-url";
const PROBE_TIMEOUT_S = 3;
/** Test schemas and databases carry this prefix, so leftovers of a killed run are easy to spot. */
const SCHEMA_PREFIX = "pilot_t_";

export type PostgresAvailability =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: string };

function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^/@:]*):[^@/]*@/i, "$1@");
}

async function findUrl(): Promise<string | null> {
  const fromEnv = Deno.env.get(POSTGRES_URL_ENV)?.trim();
  if (fromEnv) return fromEnv;
  try {
    const text = (await Deno.readTextFile(POSTGRES_URL_FILE)).trim();
    return text === "" ? null : text;
  } catch {
    return null;
  }
}

function admin(url: string) {
  return postgres(url, { max: 1, connect_timeout: PROBE_TIMEOUT_S, onnotice: () => {}, fetch_types: false });
}

async function probe(): Promise<PostgresAvailability> {
  const url = await findUrl();
  if (url === null) return { ok: false, reason: `neither ${POSTGRES_URL_ENV} nor ${POSTGRES_URL_FILE} is set` };
  const sql = admin(url);
  try {
    const rows = await sql`SELECT has_database_privilege(current_database(), 'CREATE') AS schemas,
      (SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user) AS databases`;
    if (rows[0]?.schemas !== true || rows[0]?.databases !== true) {
      return { ok: false, reason: `the role of ${redact(url)} cannot create schemas and databases` };
    }
    return { ok: true, url };
  } catch (err) {
    return { ok: false, reason: `PostgreSQL at ${redact(url)} is unreachable: ${(err as Error).message}` };
  } finally {
    await sql.end({ timeout: 0 });
  }
}

/**
 * Finds the URL and checks that the server answers and lets the role create schemas and databases. Call once per test module;
 * outside CI an unavailable server is reported here, once.
 */
export async function probePostgres(): Promise<PostgresAvailability> {
  const found = await probe();
  if (!found.ok && Deno.env.get("CI") !== "true") {
    console.warn(
      `skipping PostgreSQL tests: ${found.reason}; run .ci/setup-system.sh as root or set ${POSTGRES_URL_ENV}`,
    );
  }
  return found;
}

/** A schema (or database) of its own for one test; dropped with everything in it by drop(). */
export interface TestSchema extends AsyncDisposable {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export async function createTestSchema(url: string): Promise<TestSchema> {
  const name = SCHEMA_PREFIX + toHex(randomBytes(6));
  const sql = admin(url);
  try {
    await sql.unsafe(`CREATE SCHEMA ${name}`);
  } finally {
    await sql.end({ timeout: 0 });
  }
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const s = admin(url);
    try {
      await s.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    } finally {
      await s.end({ timeout: 0 });
    }
  };
  return { url, name, drop, [Symbol.asyncDispose]: drop };
}

/** A database of its own (for code that always uses the `public` schema); dropped by drop(). */
export async function createTestDatabase(url: string): Promise<TestSchema> {
  const name = SCHEMA_PREFIX + toHex(randomBytes(6));
  const sql = admin(url);
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 0 });
  }
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const s = admin(url);
    try {
      await s.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await s.end({ timeout: 0 });
    }
  };
  return { url: dbUrl.href, name, drop, [Symbol.asyncDispose]: drop };
}

/**
 * Registers `fn` as a test that needs PostgreSQL: run when the server is there, ignored with a message when it is
 * not, failing under CI=true.
 */
export function postgresTest(
  availability: PostgresAvailability,
  name: string,
  fn: (url: string) => Promise<void>,
): void {
  if (availability.ok) {
    const url = availability.url;
    Deno.test(name, () => fn(url));
    return;
  }
  unavailable(availability.reason, name);
}

/** The stand-in for a test that cannot run: a failure under CI=true, otherwise an ignored test. */
export function unavailable(reason: string, name: string): void {
  if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`PostgreSQL is required under CI=true: ${reason} (run .ci/setup-system.sh as root)`);
    });
    return;
  }
  Deno.test({ name, ignore: true, fn: () => {} });
}
