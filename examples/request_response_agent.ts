// An HTTP-style request/response agent over pilot streams. One request per stream, in "message mode": the client
// writes one JSON request and half-closes; the server reads to EOF, writes one JSON response and closes.
//
//   request:  {"method":"GET"|"POST", "path":"/sum", "body":<any JSON>?}
//   response: {"status":200, "body":<any JSON>}
//
//   deno run -A examples/request_response_agent.ts serve [--port 8080] [--count N] [--socket PATH]
//   deno run -A examples/request_response_agent.ts request <target> <METHOD> <path> [--body JSON] [--port 8080]
//
// Routes: GET /whoami (the caller's address, taken from the encrypted tunnel, never from the request), POST /sum
// {"numbers":[…]}, POST /echo. `serve` prints `serving on <address> port <port>`, then a log line per request;
// `request` prints the status line and the body, and exits 0 for a status below 400, else 1.
import { parseArgs } from "node:util";
import { connect, type PilotClient, type PilotConn, PilotError, readAll } from "../mod.ts";

const USAGE = `Usage:
  deno run -A examples/request_response_agent.ts serve [--port 8080] [--count N]
  deno run -A examples/request_response_agent.ts request <target> <METHOD> <path> [--body JSON]

serve answers JSON requests on --port; request sends one and prints the response.
Routes: GET /whoami, POST /sum {"numbers":[...]}, POST /echo.

Options:
  --port N       stream port (default 8080)
  --count N      serve: exit after N requests (default 0: run until Ctrl-C)
  --body JSON    request: the request body
  --socket PATH  the daemon's IPC socket (default: PILOT_SOCKET, config, /tmp/pilot.sock)
  --help         show this text`;

/** Requests and responses are small JSON documents; anything larger is refused unread. */
const MAX_MESSAGE_BYTES = 1_048_576;
const REASONS: Record<number, string> = { 200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed" };

interface Request {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

interface Response {
  readonly status: number;
  readonly body: unknown;
}

function parseRequest(raw: Uint8Array): Request | null {
  try {
    const value = JSON.parse(new TextDecoder().decode(raw));
    if (typeof value?.method !== "string" || typeof value?.path !== "string") return null;
    return value as Request;
  } catch {
    return null;
  }
}

/** The application: `caller` is who the tunnel says is on the other end. */
function route(req: Request, caller: string, self: PilotClient): Response {
  const routes: Record<string, Record<string, () => Response>> = {
    "/whoami": { GET: () => ({ status: 200, body: { you: caller, me: self.address } }) },
    "/sum": {
      POST: () => {
        const numbers = (req.body as { numbers?: unknown } | undefined)?.numbers;
        if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === "number")) {
          return { status: 400, body: { error: 'body must be {"numbers": [numbers]}' } };
        }
        return { status: 200, body: { sum: numbers.reduce((a, b) => a + b, 0) } };
      },
    },
    "/echo": { POST: () => ({ status: 200, body: req.body ?? null }) },
  };
  const methods = routes[req.path];
  if (methods === undefined) return { status: 404, body: { error: `no route ${req.path}` } };
  const handler = methods[req.method.toUpperCase()];
  if (handler === undefined) return { status: 405, body: { error: `use ${Object.keys(methods).join(", ")}` } };
  return handler();
}

async function answer(conn: PilotConn, self: PilotClient): Promise<string> {
  try {
    const req = parseRequest(await readAll(conn.readable, MAX_MESSAGE_BYTES));
    const res = req === null
      ? { status: 400, body: { error: "expected a JSON request" } }
      : route(req, conn.remote, self);
    const writer = conn.writable.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(res)));
    await writer.close();
    return `${req?.method ?? "?"} ${req?.path ?? "?"} from ${conn.remote} -> ${res.status}`;
  } finally {
    await conn.close();
  }
}

async function serve(client: PilotClient, port: number, count: number): Promise<number> {
  await using listener = await client.listen(port);
  console.log(`serving on ${client.address} port ${listener.port}`);
  const stop = () => {
    listener.close().catch(() => {});
  };
  Deno.addSignalListener("SIGINT", stop);
  const pending: Promise<void>[] = [];
  let accepted = 0;
  try {
    for await (const conn of listener) {
      pending.push(answer(conn, client).then(console.log, (err) => console.error(`request failed: ${err.message}`)));
      if (count > 0 && ++accepted >= count) break;
    }
    await Promise.all(pending);
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
  return 0;
}

async function request(client: PilotClient, target: string, port: number, req: Request): Promise<number> {
  await using conn = await client.dial(target, port);
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(req)));
  await writer.close();
  const res = JSON.parse(new TextDecoder().decode(await readAll(conn.readable, MAX_MESSAGE_BYTES))) as Response;
  console.log(`${res.status} ${REASONS[res.status] ?? ""}`.trimEnd());
  console.log(JSON.stringify(res.body, null, 2));
  return res.status < 400 ? 0 : 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string", default: "8080" },
      count: { type: "string", default: "0" },
      body: { type: "string" },
      socket: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(args);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [mode, ...rest] = positionals;
  const port = Number(values.port);
  const count = Number(values.count);
  let body: unknown;
  try {
    body = values.body === undefined ? undefined : JSON.parse(values.body);
  } catch {
    console.error(`--body is not JSON: ${values.body}`);
    return 2;
  }
  const valid = Number.isInteger(port) && Number.isInteger(count) &&
    ((mode === "serve" && rest.length === 0) || (mode === "request" && rest.length === 3));
  if (!valid) {
    console.error(USAGE);
    return 2;
  }
  await using client = await connect({ socket: values.socket });
  if (mode === "serve") return await serve(client, port, count);
  const [target, method, path] = rest;
  return await request(client, target, port, { method: method.toUpperCase(), path, body });
}

try {
  Deno.exit(await main(Deno.args));
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (err instanceof PilotError && err.hint !== "") console.error(`hint:  ${err.hint}`);
  Deno.exit(1);
}
