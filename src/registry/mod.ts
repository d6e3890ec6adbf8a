// Public face of src/registry (PROTOCOL-BRIEF §4–§5, CLI.md §3.2): the registry process (startRegistry), its store
// interface and its SQLite and PostgreSQL backends, limits, the beacon, and the typed client the daemon and CLI use.
export {
  formatReadyBlock,
  type RegistryHandle,
  type RegistryOptions,
  type RegistryReadyData,
  startRegistry,
} from "./server.ts";
export { DEFAULT_LIMITS, loadLimitsFile, parseLimits, type RegistryLimits } from "./limits.ts";
export type * from "./store.ts";
export { StoreConflictError } from "./store.ts";
export { MEMORY_STORE, openSqliteStore } from "./store_sqlite.ts";
export {
  DEFAULT_POSTGRES_POOL_SIZE,
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  redactPostgresUrl,
} from "./store_postgres.ts";
export { Beacon, type BeaconOptions, type DatagramSink, type UdpAddr } from "./beacon.ts";
export { RegistryMetrics } from "./metrics.ts";
export { boundedLabel, Counter, Gauge, Histogram, type Labels, MetricSet } from "../util/metrics_text.ts";
export { connectWithBackoff, RegistryClient, type RegistryClientOptions } from "./client.ts";
export type * from "./client_types.ts";
export {
  type BackoffOptions,
  parseRegistryAddress,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  reconnectDelayMs,
  withBackoff,
} from "./client_connect.ts";
export {
  cliCodeFor,
  HEARTBEAT_INTERVAL_S,
  ONLINE_EXPIRY_S,
  REGISTRY_ERROR_CODES,
  RegistryError,
  type RegistryErrorCode,
  RegistryRequestError,
  registrySignedBytes,
  REQUEST_TYPES,
  type RequestType,
  rotationSignedBytes,
  TRUST_SIGN_LABEL,
  trustSignedBytes,
} from "./protocol.ts";
