// The public face of tunnel/: the Tunnel manager (PROTOCOL-BRIEF §3, §5.4–5.6) and the types callers see, plus
// the pure building blocks (handshake frames, keysets, queue, flood guard) that tools and tests use directly.
export { Tunnel, type TunnelOptions } from "./tunnel.ts";
export type { ConnectOptions } from "./initiator.ts";
export type {
  Endpoint,
  FrameSource,
  KeyLookupHint,
  KeyResolver,
  PathKind,
  PeerInfo,
  PeerKeys,
  PeerPath,
  RelaySender,
  TunnelEvent,
} from "./types.ts";
export { DropCounter, TUNNEL_DROP_REASONS, type TunnelDropReason } from "./drops.ts";
export { realScheduler, type ScheduledTask, type Scheduler, Ticker } from "./timers.ts";
export {
  consumeCookieReply,
  consumeResponse,
  createCookieReply,
  createResponse,
  Initiation,
  type InitiationRequest,
  type InitiatorHello,
  isPeerNodeId,
  type LocalHandshakeIdentity,
  localHandshakeIdentity,
  readInitiation,
  type TransportKeys,
  tunnelPrologue,
} from "./handshake.ts";
export { Keyset, type KeysetRole, receiveAllowed, rekeyDue, sendAllowed } from "./keyset.ts";
export { PendingQueue } from "./queue.ts";
export { EventRate, FloodGuard, SourceRateLimiter, TokenBucket } from "./flood.ts";
export { canonicalEndpoint, endpointKey, endpointsEqual } from "./endpoint.ts";
export * from "./constants.ts";
