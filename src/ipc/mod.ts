// Public face of src/ipc (PROTOCOL-BRIEF §8): the daemon's IPC server framework and the typed client the CLI and the
// SDK use, over a Unix socket (0600) or, on Windows, loopback TCP with the `ipc.token` token.
export * from "./constants.ts";
export * from "./protocol.ts";
export * from "./commands.ts";
export * from "./handlers.ts";
export { IpcServer, type IpcServerLimits, type IpcServerOptions } from "./server.ts";
export {
  IpcClient,
  type IpcConnectOptions,
  type IpcEvent,
  type IpcEventListener,
  type OutgoingDatagram,
} from "./client.ts";
export { type RequestOptions, RequestTable } from "./request_table.ts";
export { type IpcDatagramOptions, IpcStream, type IpcStreamOptions } from "./client_streams.ts";
export {
  ALREADY_RUNNING_HINT,
  daemonNotRunningError,
  inspectSocketPath,
  NOT_OWNED_HINT,
  NOT_RUNNING_HINT,
  validateSocketPath,
} from "./socket_path.ts";
export {
  defaultIpcTransport,
  describeIpcAddress,
  type IpcAddress,
  ipcAddress,
  type IpcTransportKind,
} from "./transport.ts";
export { type IpcTokenFile, readIpcTokenFile } from "./token.ts";
