// Public face of src/transport: the reliable stream transport of PROTOCOL-BRIEF §7 as a pure state machine
// (Connection), its driver and application-facing wrappers (StreamConn, Web Streams), the stream endpoint manager
// (StreamStack: ports, listeners, limits, RST rules), datagrams and the control ping (§7.10).
export * from "./constants.ts";
export { Connection } from "./connection.ts";
export { type ConnectionOptions, randomIsn } from "./conn_options.ts";
export type { SocketEnd } from "./packets.ts";
export type { Action, ConnState, ConnStats } from "./types.ts";
export {
  closeError,
  type CloseReason,
  ipcCloseReason,
  resetFor,
  RST_ABORTED,
  RST_LIMIT,
  RST_NO_CONNECTION,
  RST_NO_LISTENER,
  RST_NOT_TRUSTED,
  RST_TIMEOUT,
  rstReasonOf,
  segmentLength,
} from "./rst.ts";
export { ConnDriver, type ConnEvents, type DriverDeps, type TimerSource } from "./driver.ts";
export { RealTimerSource } from "./real_timers.ts";
export { AckCoalescer, MessageChannelTurn, type TurnScheduler } from "./ack_coalescer.ts";
export { StreamConn, type StreamConnHooks } from "./stream_conn.ts";
export { type ConnStreams, connStreams } from "./stream_adapter.ts";
export { Listener } from "./listener.ts";
export { type ConnEvent, connEventOf, type DialOptions, StreamStack, type StreamStackDeps } from "./stack.ts";
export { type DatagramDeps, DatagramService, DatagramSocket, type ReceivedDatagram } from "./datagram.ts";
export { PING_TIMEOUT_MS, type PingDeps, type PingResult, PingService } from "./ping.ts";
export { checkBindPort, checkRemotePort, drawEphemeralPort } from "./ports.ts";
export { seqGe, seqGt, seqLe, seqLt } from "./seq.ts";
