// Public face of src/sdk, the TypeScript SDK (docs/SDK.md): connect() to the local daemon over IPC (PROTOCOL-BRIEF
// §8) or createNode() for a node inside this process, both giving a PilotClient; streams, datagrams, trust and the
// built-in services (§9); errors are PilotErrors with the codes of CLI.md §2.
export { connect, PilotClient, SDK_CLIENT_NAME, SDK_VERSION } from "./client.ts";
export { createNode, PilotNode } from "./node.ts";
export { PilotConn, PilotListener, readAll } from "./conn.ts";
export { DatagramPort } from "./datagrams.ts";
export { broadcastAddress } from "./target.ts";
export { DATA_EXCHANGE_PORT, ECHO_PORT, EVENT_STREAM_PORT, Subscription } from "./services.ts";
export {
  AlreadyExistsError,
  ConnectionFailedError,
  ERROR_CODES,
  type ErrorCode,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  NotRunningError,
  NotTrustedError,
  PilotError,
  TimeoutError,
  UnauthorizedError,
} from "./errors.ts";
export type * from "./types.ts";
