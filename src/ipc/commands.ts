// The commands of PROTOCOL-BRIEF §8.3 as types: cmd → arguments and result, so `client.request("dial", …)` is checked
// at compile time. Addresses are in text form (`N:NNNN.HHHH.LLLL`, §1.2); byte counts and times are integers. Fields
// the daemon forwards from the registry (§4.4) are typed loosely where the registry owns their shape.
import type { IpcJson } from "./protocol.ts";

/** A command without arguments. */
export type NoArgs = Record<string, never>;

export interface HelloArgs {
  readonly version: string;
  readonly client: string;
  /** TCP mode (Windows) only: the token of `ipc.token`. */
  readonly token?: string;
}

export interface HelloResult {
  readonly daemon_version: string;
  readonly proto: number;
  readonly node_id: number;
  readonly address: string;
}

export interface PeerInfo {
  readonly node_id: number;
  readonly address: string;
  readonly hostname: string;
  readonly endpoint: string;
  readonly path: "direct" | "relay";
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly trusted: boolean;
  readonly last_seen_ms: number;
}

/** One stream connection's counters (`state` as §7.2). */
export interface ConnInfo {
  readonly id: number;
  readonly local_port: number;
  readonly remote_addr: string;
  readonly remote_port: number;
  readonly state: string;
  readonly srtt_ms: number;
  readonly rttvar_ms: number;
  readonly cong_win: number;
  readonly ssthresh: number;
  readonly in_flight: number;
  readonly unacked: number;
  readonly ooo_buf: number;
  readonly recv_win: number;
  readonly peer_recv_win: number;
  readonly bytes_sent: number;
  readonly bytes_recv: number;
  readonly segs_sent: number;
  readonly segs_recv: number;
  readonly retransmits: number;
  readonly fast_retx: number;
  readonly sack_sent: number;
  readonly sack_recv: number;
  readonly dup_acks: number;
}

export interface InfoResult {
  readonly node_id: number;
  readonly address: string;
  readonly addresses: Readonly<Record<string, string>>;
  readonly hostname: string;
  readonly owner: string;
  readonly public_key: string;
  readonly uptime_secs: number;
  readonly encrypt: true;
  readonly identity: string;
  readonly peers: number;
  readonly encrypted_peers: number;
  readonly authenticated_peers: number;
  readonly connections: number;
  readonly ports: number;
  readonly bytes_sent: number;
  readonly bytes_recv: number;
  readonly pkts_sent: number;
  readonly pkts_recv: number;
  readonly beacon: IpcJson | string | null;
  readonly peer_list: readonly PeerInfo[];
  readonly conn_list: readonly ConnInfo[];
  // Beyond §8.3, what the daemon knows of itself from the registry (CLI.md §3.3 `info`); absent while unknown.
  readonly email?: string;
  readonly public?: boolean;
  readonly tags?: readonly string[];
  readonly networks?: readonly InfoNetwork[];
  /** The registry address the daemon uses. */
  readonly registry?: string;
}

/** One network of `info.networks`; `name` is null while the daemon does not know it. */
export interface InfoNetwork {
  readonly network_id: number;
  readonly name: string | null;
  readonly address: string;
}

export type BindProto = "stream" | "datagram";

export interface BindArgs {
  /** 0 = an ephemeral port. */
  readonly port: number;
  readonly proto: BindProto;
  /** ≤ 128. */
  readonly backlog?: number;
}

/** What `accept` and `dial` answer: the new connection and both ends. */
export interface ConnOpened {
  readonly conn: number;
  readonly local_port: number;
  readonly remote: string;
  readonly remote_port: number;
}

export interface DialArgs {
  /** Address, decimal node id or hostname. */
  readonly addr: string;
  readonly port: number;
  /** Default 20000. */
  readonly timeout_ms?: number;
  readonly nodelay?: boolean;
}

export type CloseHow = "write" | "both" | "abort";

export interface ResolveResult {
  readonly node_id: number;
  readonly address: string;
  readonly hostname?: string;
  readonly public: boolean;
}

export interface TrustStatusResult {
  readonly node_id: number;
  readonly status: string;
  readonly queued?: boolean;
}

/** `ping` (docs/PROTOCOL.md §9.3): one control ping, protocol 0x03 (§7.10). */
export interface PingArgs {
  /** Address, decimal node id or hostname. */
  readonly addr: string;
  /** Bounds path setup and reply together; default 5000, at most 600000. */
  readonly timeout_ms?: number;
  /** Payload bytes, 0–64 (default 0). */
  readonly payload_len?: number;
}

export interface PingReply {
  readonly rtt_ms: number;
  /** Payload bytes echoed. */
  readonly bytes: number;
}

/** An outgoing request the peer rejected (`trust_pending.rejected`): the reason it gave, if any. */
export interface TrustRejection {
  readonly node_id: number;
  readonly address: string;
  /** "" when the peer gave none. */
  readonly reason: string;
  readonly rejected_at: string;
  readonly rejected_at_ms: number;
}

export interface ExposedPort {
  readonly port: number;
  readonly to: string;
  readonly connections: number;
}

/** Every command of §8.3 except `send` / `sendto`, which are STREAM_DATA / DATAGRAM frames (IpcClient helpers). */
export interface IpcCommands {
  hello: { args: HelloArgs; result: HelloResult };
  info: { args: NoArgs; result: InfoResult };
  bind: { args: BindArgs; result: { readonly port: number } };
  unbind: { args: { readonly port: number; readonly proto: BindProto }; result: { readonly port: number } };
  accept: { args: { readonly port: number; readonly timeout_ms?: number }; result: ConnOpened };
  dial: { args: DialArgs; result: ConnOpened };
  /** Adds `credit` bytes (≤ 16 MiB); data then arrives as STREAM_DATA, then `eof` / `closed` events. */
  recv: { args: { readonly conn: number; readonly credit: number }; result: NoArgs };
  close: { args: { readonly conn: number; readonly how: CloseHow }; result: NoArgs };
  set_option: { args: { readonly conn: number; readonly nodelay: boolean }; result: NoArgs };
  conn_abort: { args: { readonly conn: number }; result: NoArgs };
  /** Adds `credit` datagrams; they then arrive as DATAGRAM frames. */
  recvfrom: { args: { readonly port: number; readonly credit: number }; result: NoArgs };
  resolve: { args: { readonly name: string }; result: ResolveResult };
  ping: { args: PingArgs; result: PingReply };
  trust_request: { args: { readonly node: string; readonly justification: string }; result: TrustStatusResult };
  trust_approve: { args: { readonly node: string }; result: TrustStatusResult };
  trust_reject: { args: { readonly node: string; readonly reason?: string }; result: TrustStatusResult };
  trust_revoke: { args: { readonly node: string; readonly reason?: string }; result: TrustStatusResult };
  trust_list: { args: NoArgs; result: { readonly trusted: readonly IpcJson[] } };
  trust_pending: {
    args: NoArgs;
    result: {
      readonly incoming: readonly IpcJson[];
      readonly outgoing: readonly IpcJson[];
      /** Our requests the peer rejected since we last asked it (newest last); absent from older daemons. */
      readonly rejected?: readonly TrustRejection[];
    };
  };
  register: { args: NoArgs; result: { readonly node_id: number; readonly address: string; readonly hostname: string } };
  lookup: { args: { readonly target: string }; result: IpcJson };
  find_by_tag: {
    args: {
      readonly tags: readonly string[];
      readonly network_id?: number;
      readonly limit?: number;
      readonly cursor?: string;
    };
    result: { readonly nodes: readonly IpcJson[]; readonly next_cursor?: string };
  };
  network_create: {
    args: { readonly name: string; readonly join_rule: "open" | "token" | "invite"; readonly token?: string };
    result: { readonly network_id: number; readonly name: string; readonly address: string };
  };
  network_join: {
    args: { readonly network_id?: number; readonly name?: string; readonly token?: string };
    result: { readonly network_id: number; readonly address: string };
  };
  network_leave: { args: { readonly network_id: number }; result: { readonly network_id: number } };
  network_invite: {
    args: { readonly network_id: number; readonly invitee: string };
    result: { readonly network_id: number; readonly invitee: string; readonly expires_at_ms: number };
  };
  network_list: { args: NoArgs; result: { readonly networks: readonly IpcJson[] } };
  network_members: {
    args: { readonly network_id: number; readonly limit?: number; readonly cursor?: string };
    result: { readonly members: readonly IpcJson[]; readonly next_cursor?: string };
  };
  set_hostname: { args: { readonly hostname: string }; result: { readonly hostname: string } };
  set_visibility: { args: { readonly public: boolean }; result: { readonly public: boolean } };
  set_tags: { args: { readonly tags: readonly string[] }; result: { readonly tags: readonly string[] } };
  deregister: { args: { readonly release?: boolean; readonly purge?: boolean }; result: { readonly offline: true } };
  rotate_key: {
    args: NoArgs;
    result: { readonly node_id: number; readonly address: string; readonly public_key: string };
  };
  expose: {
    args: { readonly port: number; readonly to: string };
    result: { readonly port: number; readonly to: string };
  };
  unexpose: { args: { readonly port: number }; result: { readonly port: number } };
  expose_list: { args: NoArgs; result: { readonly exposed: readonly ExposedPort[] } };
  config_get: { args: { readonly key?: string }; result: IpcJson };
  config_set: {
    args: { readonly key: string; readonly value: unknown };
    result: { readonly applied: boolean; readonly restart_required: boolean };
  };
  shutdown: { args: NoArgs; result: NoArgs };
}

export type IpcCommandName = keyof IpcCommands;
export type IpcCommandArgs<C extends IpcCommandName> = IpcCommands[C]["args"];
export type IpcCommandResult<C extends IpcCommandName> = IpcCommands[C]["result"];
