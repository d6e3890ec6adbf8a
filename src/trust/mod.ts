// Public face of src/trust: the trust handshake of PROTOCOL-BRIEF §6 — signed trust messages (§6.1), the per-peer
// state machine with the receiver checks (§6.2, §6.3), key pinning along registry key chains (§4.4), the port-444
// stream codec (§6.2) and the persistent trust.json store (§6.5), combined by the TrustManager facade.
export * from "./constants.ts";
export {
  isPeerNodeId,
  isTrustMessageType,
  parseTrustMessage,
  signTrustMessage,
  TRUST_MESSAGE_TYPES,
  type TrustMessage,
  type TrustMessageDraft,
  type TrustMessageType,
  type TrustParseResult,
  type TrustSigner,
  trustSigningBytes,
  type UnsignedTrustMessage,
  verifyTrustMessage,
} from "./message.ts";
export {
  type AutoApprovePolicy,
  type LocalRequestStatus,
  type PeerRecord,
  TRUST_ACK_STATUSES,
  TRUST_ORIGINS,
  TRUST_STATES,
  type TrustAck,
  type TrustAckStatus,
  type TrustAction,
  type TrustOrigin,
  type TrustRefusal,
  type TrustState,
  type WebhookEvent,
} from "./record.ts";
export { type Delivery, TrustMachine } from "./state_machine.ts";
export {
  type KeyChainEntry,
  keyReachableFromPin,
  parseGetKeysReply,
  type PeerKeys,
  type PeerKeySource,
  rotationMessage,
} from "./key_pins.ts";
export { decodeTrustFile, encodeTrustFile, TrustFileStore, type TrustStore } from "./store.ts";
export {
  encodeTrustAckFrame,
  encodeTrustFrame,
  parseTrustAck,
  type ReceiverEvent,
  type TrustSendProgress,
  TrustStreamReceiver,
  TrustStreamSender,
} from "./port444.ts";
export {
  type PendingView,
  type TrustedPeerView,
  TrustManager,
  type TrustManagerOptions,
  type TrustReceiveResult,
  type TrustResult,
} from "./manager.ts";
