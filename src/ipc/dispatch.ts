// Request dispatch of one IPC client (PROTOCOL-BRIEF §8.2, §8.3): validates ids, enforces the outstanding-request
// limit and (TCP mode) the `hello` token, runs commands concurrently so responses go out in any order, serialises
// client → daemon data per connection / port and answers it with `queued` once the daemon buffered it, and serves the
// server's own commands: `hello`'s token check, `recv` and `recvfrom` credit.
import type { IpcFrame } from "../wire/ipc_frame.ts";
import { parseJsonBody } from "../wire/registry_frame.ts";
import type { Logger } from "../log/logger.ts";
import { constantTimeEqual } from "../util/bytes.ts";
import {
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PilotError,
  toPilotError,
  UnauthorizedError,
} from "../util/errors.ts";
import { IPC_PROTO_VERSION, RECV_CREDIT_MAX_BYTES, RECVFROM_CREDIT_MAX_DATAGRAMS } from "./constants.ts";
import type { IpcArgs, IpcClientContext, IpcCommandHandler, IpcHandlers, IpcHelloInfo, IpcResult } from "./handlers.ts";
import { encodeErrorResponse, encodeOkResponse, type IpcDatagram, isRequestId } from "./protocol.ts";
import { isIpcToken, tokenBytes } from "./token.ts";

/** What the dispatcher needs of its session beyond the public client context. */
export interface DispatchSession extends IpcClientContext {
  grantStreamCredit(conn: number, bytes: number): void;
  grantDatagramCredit(port: number, count: number): void;
  acceptHello(info: IpcHelloInfo): void;
}

export interface DispatcherOptions {
  readonly session: DispatchSession;
  readonly handlers: IpcHandlers;
  /** Queues a frame to the client. */
  readonly send: (frame: Uint8Array) => void;
  /** TCP mode: the token `hello` must carry before anything else is accepted. */
  readonly token: string | null;
  readonly maxOutstanding: number;
  readonly logger: Logger;
}

/** `continue`, `close` (a reply explained why), or a violation to report in an error event before closing. */
export type FrameVerdict = "continue" | "close" | PilotError;

const SERVER_COMMANDS = ["recv", "recvfrom"];
const SHOWN_INPUT_MAX_CHARS = 64;

export class RequestDispatcher {
  readonly #session: DispatchSession;
  readonly #handlers: IpcHandlers;
  readonly #commands = new Map<string, IpcCommandHandler>();
  readonly #send: (frame: Uint8Array) => void;
  readonly #token: Uint8Array | null;
  readonly #maxOutstanding: number;
  readonly #log: Logger;
  readonly #inFlight = new Set<number>();
  readonly #chains = new Map<string, Promise<void>>();
  #authenticated: boolean;

  constructor(options: DispatcherOptions) {
    this.#session = options.session;
    this.#handlers = options.handlers;
    checkHandlers(options.handlers);
    for (const [cmd, handler] of Object.entries(options.handlers.commands)) this.#commands.set(cmd, handler);
    this.#send = options.send;
    this.#token = options.token === null ? null : tokenBytes(options.token);
    this.#authenticated = options.token === null;
    this.#maxOutstanding = options.maxOutstanding;
    this.#log = options.logger;
  }

  /** Requests received and not yet answered. */
  get outstanding(): number {
    return this.#inFlight.size;
  }

  handle(frame: IpcFrame): FrameVerdict {
    switch (frame.kind) {
      case "json":
        return this.#json(frame.body);
      case "stream_data": {
        const verdict = this.#admit(frame.id, "send");
        if (verdict !== "continue" || !this.#inFlight.has(frame.id)) return verdict;
        this.#chain(`s${frame.conn}`, frame.id, () => this.#streamData(frame.conn, frame.data));
        return "continue";
      }
      case "datagram": {
        const verdict = this.#admit(frame.id, "sendto");
        if (verdict !== "continue" || !this.#inFlight.has(frame.id)) return verdict;
        const { id: _id, kind: _kind, ...dg } = frame;
        this.#chain(`d${frame.localPort}`, frame.id, () => this.#datagram(dg));
        return "continue";
      }
    }
  }

  #json(body: Uint8Array): FrameVerdict {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return badFrame(`invalid ipc request: ${parsed.reason.replace("_", " ")}`);
    const { id, cmd, ...args } = parsed.value;
    const verdict = this.#admit(id, typeof cmd === "string" ? cmd : "");
    if (verdict !== "continue" || !this.#inFlight.has(id as number)) return verdict;
    if (cmd === "hello" && this.#token !== null) {
      // Checked here, not in the async command, so the refusal is queued before the session starts closing.
      const refusal = this.#checkToken(args.token);
      if (refusal !== null) {
        this.#inFlight.delete(id as number);
        this.#send(encodeErrorResponse(id as number, refusal));
        return "close";
      }
    }
    this.#run(id as number, () => this.#command(cmd, args));
    return "continue";
  }

  #checkToken(token: unknown): PilotError | null {
    if (this.#token === null) return null;
    if (!isIpcToken(token) || !constantTimeEqual(tokenBytes(token), this.#token)) {
      return tokenError("invalid ipc token");
    }
    this.#authenticated = true;
    return null;
  }

  /**
   * Accepts a request id into the in-flight set. A bad or duplicate id cannot be answered, so it is a violation;
   * a request over the limit is answered at once with an error and not admitted (the caller sees it is not in
   * flight). In TCP mode everything before a good `hello` is refused and the client closed.
   */
  #admit(id: unknown, cmd: string): FrameVerdict {
    if (!isRequestId(id)) return badFrame(`invalid ipc request: bad id ${shown(id)}`);
    if (this.#inFlight.has(id)) return badFrame(`invalid ipc request: id ${id} already in use`);
    if (!this.#authenticated && cmd !== "hello") {
      this.#send(encodeErrorResponse(id, tokenError("ipc hello with the daemon token required")));
      return "close";
    }
    if (this.#inFlight.size >= this.#maxOutstanding) {
      const err = new InvalidArgumentError(`too many outstanding requests (limit ${this.#maxOutstanding})`, {
        detail: "limit",
      });
      this.#send(encodeErrorResponse(id, err));
      return "continue";
    }
    this.#inFlight.add(id);
    return "continue";
  }

  #run(id: number, task: () => Promise<IpcResult>): Promise<void> {
    return task().then(
      (result) => this.#respond(id, result),
      (err) => this.#respond(id, err instanceof PilotError ? err : this.#unexpected(err)),
    );
  }

  /** Client → daemon data of one connection or port is handed over in arrival order, one frame at a time. */
  #chain(key: string, id: number, task: () => Promise<IpcResult>): void {
    const next = (this.#chains.get(key) ?? Promise.resolve()).then(() => this.#run(id, task));
    this.#chains.set(key, next);
    next.then(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    }, () => {/* #run never rejects */});
  }

  #respond(id: number, outcome: IpcResult | PilotError): void {
    this.#inFlight.delete(id);
    let frame: Uint8Array;
    try {
      frame = outcome instanceof PilotError ? encodeErrorResponse(id, outcome) : encodeOkResponse(id, outcome);
    } catch (err) {
      // Too large for a frame (or not JSON): report that instead, with a message short enough to always fit.
      const reason = err instanceof Error ? err.message : String(err);
      this.#log.warn("cannot encode ipc response", { client: this.#session.id, error: reason });
      const failure = new InternalError(`cannot encode response to request ${id}: ${reason.slice(0, 200)}`);
      frame = encodeErrorResponse(id, failure);
    }
    this.#send(frame);
  }

  /** A failure that is not a PilotError is a daemon bug: logged, and reported as `internal` without a stack. */
  #unexpected(err: unknown): PilotError {
    const context = "ipc command failed";
    const e = toPilotError(err);
    if (e.code !== "internal") return e;
    this.#log.warn(context, { client: this.#session.id, error: e.message });
    return new InternalError(`${context}: ${e.message}`);
  }

  async #command(cmd: unknown, args: IpcArgs): Promise<IpcResult> {
    if (cmd === "hello") return await this.#hello(args);
    if (cmd === "recv") return this.#recv(args);
    if (cmd === "recvfrom") return this.#recvfrom(args);
    const handler = typeof cmd === "string" ? this.#commands.get(cmd) : undefined;
    if (handler === undefined) throw unknownCommand(cmd);
    return resultObject(cmd as string, await handler(args, this.#session));
  }

  async #hello(args: IpcArgs): Promise<IpcResult> {
    this.#session.acceptHello({
      client: typeof args.client === "string" ? args.client : "",
      version: typeof args.version === "string" ? args.version : "",
    });
    const handler = this.#commands.get("hello");
    const result = handler === undefined ? {} : resultObject("hello", await handler(args, this.#session));
    return { ...result, proto: IPC_PROTO_VERSION };
  }

  #recv(args: IpcArgs): IpcResult {
    const conn = intArg(args, "conn", 0, 0xffff_ffff);
    const credit = intArg(args, "credit", 0, RECV_CREDIT_MAX_BYTES);
    if (!this.#session.ownsConn(conn)) throw new NotFoundError(`connection ${conn} not found`, { detail: "conn" });
    this.#session.grantStreamCredit(conn, credit);
    return {};
  }

  #recvfrom(args: IpcArgs): IpcResult {
    const port = intArg(args, "port", 0, 0xffff);
    const credit = intArg(args, "credit", 0, RECVFROM_CREDIT_MAX_DATAGRAMS);
    if (!this.#session.ownsPort("datagram", port)) throw portNotBound(port);
    this.#session.grantDatagramCredit(port, credit);
    return {};
  }

  async #streamData(conn: number, data: Uint8Array): Promise<IpcResult> {
    const handler = this.#handlers.streamData;
    if (handler === undefined) throw unknownCommand("send");
    if (!this.#session.ownsConn(conn)) throw new NotFoundError(`connection ${conn} not found`, { detail: "conn" });
    await handler.call(this.#handlers, this.#session, conn, data);
    return { queued: data.length };
  }

  async #datagram(dg: IpcDatagram): Promise<IpcResult> {
    const handler = this.#handlers.datagram;
    if (handler === undefined) throw unknownCommand("sendto");
    if (dg.localPort !== 0 && !this.#session.ownsPort("datagram", dg.localPort)) throw portNotBound(dg.localPort);
    await handler.call(this.#handlers, this.#session, dg);
    return { queued: dg.data.length };
  }
}

/** Refuses a handler table that claims a command the server serves itself. */
export function checkHandlers(handlers: IpcHandlers): void {
  for (const cmd of SERVER_COMMANDS) {
    if (Object.hasOwn(handlers.commands, cmd)) throw new RangeError(`ipc command "${cmd}" is served by the ipc server`);
  }
}

function badFrame(message: string): PilotError {
  return new InvalidArgumentError(message, { detail: "bad_frame" });
}

function tokenError(message: string): PilotError {
  return new UnauthorizedError(message, { detail: "bad_token", hint: "read the token from ipc.token in PILOT_HOME" });
}

function unknownCommand(cmd: unknown): PilotError {
  return new InvalidArgumentError(`unknown command ${shown(cmd)}`, { detail: "unknown_cmd" });
}

function portNotBound(port: number): PilotError {
  return new NotFoundError(`port ${port} is not bound`, { detail: "port" });
}

/** A rejected value for a message: quoted strings, bounded in length. */
function shown(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > SHOWN_INPUT_MAX_CHARS ? `${text.slice(0, SHOWN_INPUT_MAX_CHARS)}…` : text;
}

function intArg(args: IpcArgs, name: string, min: number, max: number): number {
  const value = args[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`invalid ${name} ${shown(value)}: expected an integer from ${min} to ${max}`, {
      detail: "bad_argument",
    });
  }
  if (value > max) {
    throw new InvalidArgumentError(`invalid ${name} ${value}: larger than ${max}`, { detail: "too_large" });
  }
  return value;
}

function resultObject(cmd: string, value: IpcResult | void): IpcResult {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InternalError(`command "${cmd}" returned a non-object result`);
  }
  return value;
}
