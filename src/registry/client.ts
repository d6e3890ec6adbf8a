// Typed registry client (PROTOCOL-BRIEF §4) for the daemon and the CLI: connects over TCP or `tls://`, registers by
// challenge–response, signs requests (ts, 16-byte nonce, sig over JCS) and offers one method per request type.
// Replies are matched in order and `error` replies become PilotError per §8.4 in client_transport.ts.
import { ed25519Sign, type Identity } from "../crypto/mod.ts";
import { randomBytes, toBase64 } from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { InvalidArgumentError, type PilotError } from "../util/errors.ts";
import type {
  FindByTagArgs,
  FindByTagOk,
  GetKeysOk,
  HandshakePollOk,
  HeartbeatOk,
  HelloOk,
  JoinRule,
  LookupOk,
  NetworkCreateOk,
  NetworkInfo,
  NetworkInviteOk,
  NetworkJoinOk,
  NetworkMembersOk,
  NodeRef,
  PunchOk,
  RegisterArgs,
  RegisterOk,
  RegistryIdentity,
  ResolveHostnameOk,
  RotateKeyOk,
  TrustEdge,
} from "./client_types.ts";
import {
  NONCE_BYTES,
  REGISTRY_PROTO_VERSION,
  RegistryRequestError,
  registrySignedBytes,
  rotateNewKeySignedBytes,
  rotationSignedBytes,
} from "./protocol.ts";
import { type BackoffOptions, connectRegistrySocket, withBackoff } from "./client_connect.ts";
import { FrameTransport } from "./client_transport.ts";

export type Json = Record<string, unknown>;

export const CONNECT_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;

export interface RegistryClientOptions {
  /** `host:port`, `tcp://host:port` or `tls://host:port`. */
  readonly address: string;
  /** Extra root certificates (PEM) for `tls://`, e.g. `--registry-ca`. */
  readonly caCerts?: readonly string[];
  readonly clock?: Clock;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Called for each `notify` push with the inbox count; the daemon then calls handshake_poll. */
  readonly onNotify?: (inbox: number) => void;
  /** Called once when the connection ends; `null` after a local close(). */
  readonly onClose?: (reason: PilotError | null) => void;
}

interface Signer {
  readonly nodeId: number;
  readonly identity: RegistryIdentity;
}

export class RegistryClient implements AsyncDisposable {
  readonly address: string;
  readonly #transport: FrameTransport;
  readonly #clock: Clock;
  #signer: Signer | null = null;
  /** Server time minus local time, learnt from a `clock_skew` reply. */
  #clockOffsetMs = 0;

  private constructor(conn: Deno.Conn, opts: RegistryClientOptions) {
    this.address = opts.address;
    this.#clock = opts.clock ?? systemClock;
    this.#transport = new FrameTransport(conn, {
      address: opts.address,
      requestTimeoutMs: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      onNotify: opts.onNotify,
      onClose: opts.onClose,
    });
  }

  /** Connects; failures are ConnectionFailedError (detail `registry_unreachable`) or TimeoutError. */
  static async connect(opts: RegistryClientOptions): Promise<RegistryClient> {
    const conn = await connectRegistrySocket(opts.address, opts.caCerts, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    return new RegistryClient(conn, opts);
  }

  /** The node this client signs for, once registered (or set with authenticateAs). */
  get nodeId(): number | null {
    return this.#signer?.nodeId ?? null;
  }

  get isClosed(): boolean {
    return this.#transport.isClosed;
  }

  /** Resolves when the connection has ended and the read loop has stopped. */
  get done(): Promise<void> {
    return this.#transport.done;
  }

  /** Sends one request object and resolves with its `_ok` reply; an `error` reply rejects (RegistryRequestError). */
  request<T = Json>(obj: Json): Promise<T & { type: string }> {
    return this.#transport.request(obj) as Promise<T & { type: string }>;
  }

  // ── signing

  /** Signs later requests as `nodeId` with `identity` (register() does this itself). */
  authenticateAs(nodeId: number, identity: RegistryIdentity): void {
    this.#signer = { nodeId, identity };
  }

  #now(): number {
    return Math.round(this.#clock.now() + this.#clockOffsetMs);
  }

  /** A complete signed request (node_id, ts, nonce, sig) without sending it; `extend` may add signed-over fields. */
  signRequest(type: string, fields: Json, extend?: (req: Json) => void): Json {
    const signer = this.#signer;
    if (signer === null) throw new InvalidArgumentError(`cannot send ${type}: the client is not registered`);
    const req: Json = {
      ...fields,
      type,
      node_id: signer.nodeId,
      ts: this.#now(),
      nonce: toBase64(randomBytes(NONCE_BYTES)),
    };
    extend?.(req);
    req.sig = toBase64(ed25519Sign(signer.identity.seed, registrySignedBytes(req)));
    return req;
  }

  /** Sends a signed request; one retry with the server's clock after `clock_skew`. */
  async signed<T = Json>(type: string, fields: Json = {}, extend?: (req: Json) => void): Promise<T & { type: string }> {
    try {
      return await this.request<T>(this.signRequest(type, fields, extend));
    } catch (err) {
      if (!this.#learnClock(err)) throw err;
      return await this.request<T>(this.signRequest(type, fields, extend));
    }
  }

  #learnClock(err: unknown): boolean {
    if (!(err instanceof RegistryRequestError) || err.registryCode !== "clock_skew") return false;
    if (err.serverTimeMs === undefined) return false;
    this.#clockOffsetMs = err.serverTimeMs - this.#clock.now();
    return true;
  }

  // ── catalogue (§4.4)

  hello(client = "pilotctl"): Promise<HelloOk> {
    return this.request<HelloOk>({ type: "hello", proto: REGISTRY_PROTO_VERSION, client });
  }

  /** register_begin + register with `identity`; the client then signs as the returned node. */
  async register(identity: RegistryIdentity, args: RegisterArgs): Promise<RegisterOk> {
    const attempt = async () => {
      const publicKey = toBase64(identity.publicKey);
      const begin = await this.request<{ challenge: string }>({ type: "register_begin", public_key: publicKey });
      const req: Json = {
        type: "register",
        public_key: publicKey,
        challenge: begin.challenge,
        ts: this.#now(),
        nonce: toBase64(randomBytes(NONCE_BYTES)),
        listen_port: args.listenPort,
        noise_public_key: toBase64(identity.noisePublicKey),
        noise_issued_at: identity.noiseIssuedAt,
        noise_sig: toBase64(identity.noiseSig),
      };
      if (args.endpoint !== undefined) req.endpoint = args.endpoint;
      if (args.lanAddrs !== undefined) req.lan_addrs = args.lanAddrs;
      if (args.owner !== undefined) req.owner = args.owner;
      if (args.hostname !== undefined) req.hostname = args.hostname;
      if (args.public !== undefined) req.public = args.public;
      req.sig = toBase64(ed25519Sign(identity.seed, registrySignedBytes(req)));
      return await this.request<RegisterOk>(req);
    };
    let ok: RegisterOk;
    try {
      ok = await attempt();
    } catch (err) {
      if (!this.#learnClock(err)) throw err;
      ok = await attempt();
    }
    this.#signer = { nodeId: ok.node_id, identity };
    return ok;
  }

  heartbeat(args: { listenPort?: number; lanAddrs?: string[] } = {}): Promise<HeartbeatOk> {
    const fields: Json = {};
    if (args.listenPort !== undefined) fields.listen_port = args.listenPort;
    if (args.lanAddrs !== undefined) fields.lan_addrs = args.lanAddrs;
    return this.signed<HeartbeatOk>("heartbeat", fields);
  }

  lookup(target: NodeRef): Promise<LookupOk> {
    return this.signed<LookupOk>("lookup", { target });
  }

  getKeys(target: NodeRef): Promise<GetKeysOk> {
    return this.signed<GetKeysOk>("get_keys", { target });
  }

  resolveHostname(hostname: string): Promise<ResolveHostnameOk> {
    return this.signed<ResolveHostnameOk>("resolve_hostname", { hostname });
  }

  findByTag(args: FindByTagArgs): Promise<FindByTagOk> {
    const fields: Json = { tags: args.tags };
    if (args.networkId !== undefined) fields.network_id = args.networkId;
    if (args.limit !== undefined) fields.limit = args.limit;
    if (args.cursor !== undefined) fields.cursor = args.cursor;
    return this.signed<FindByTagOk>("find_by_tag", fields);
  }

  setHostname(hostname: string): Promise<{ hostname: string }> {
    return this.signed("set_hostname", { hostname });
  }

  setVisibility(isPublic: boolean): Promise<{ public: boolean }> {
    return this.signed("set_visibility", { public: isPublic });
  }

  setTags(tags: string[]): Promise<{ tags: string[] }> {
    return this.signed("set_tags", { tags });
  }

  deregister(opts: { release?: boolean; purge?: boolean } = {}): Promise<{ offline: true }> {
    const fields: Json = {};
    if (opts.release !== undefined) fields.release = opts.release;
    if (opts.purge !== undefined) fields.purge = opts.purge;
    return this.signed("deregister", fields);
  }

  /** Replaces the node's key (§4.4): signed by the current key and by the new one; later requests use the new. */
  async rotateKey(next: RegistryIdentity | Identity, rotatedAtMs = this.#now()): Promise<RotateKeyOk> {
    const signer = this.#signer;
    if (signer === null) throw new InvalidArgumentError("cannot send rotate_key: the client is not registered");
    const rotationSig = ed25519Sign(
      signer.identity.seed,
      rotationSignedBytes(signer.nodeId, next.publicKey, rotatedAtMs),
    );
    const fields: Json = {
      new_public_key: toBase64(next.publicKey),
      new_noise_public_key: toBase64(next.noisePublicKey),
      new_noise_issued_at: next.noiseIssuedAt,
      new_noise_sig: toBase64(next.noiseSig),
      rotated_at_ms: rotatedAtMs,
      rotation_sig: toBase64(rotationSig),
    };
    const ok = await this.signed<RotateKeyOk>("rotate_key", fields, (req) => {
      req.new_key_sig = toBase64(ed25519Sign(next.seed, rotateNewKeySignedBytes(req)));
    });
    this.#signer = { nodeId: signer.nodeId, identity: next };
    return ok;
  }

  networkCreate(name: string, joinRule: JoinRule, token?: string): Promise<NetworkCreateOk> {
    const fields: Json = { name, join_rule: joinRule };
    if (token !== undefined) fields.token = token;
    return this.signed<NetworkCreateOk>("network_create", fields);
  }

  networkJoin(network: number | string, token?: string): Promise<NetworkJoinOk> {
    const fields: Json = typeof network === "number" ? { network_id: network } : { name: network };
    if (token !== undefined) fields.token = token;
    return this.signed<NetworkJoinOk>("network_join", fields);
  }

  networkLeave(networkId: number): Promise<{ network_id: number }> {
    return this.signed("network_leave", { network_id: networkId });
  }

  networkInvite(networkId: number, invitee: NodeRef): Promise<NetworkInviteOk> {
    return this.signed<NetworkInviteOk>("network_invite", { network_id: networkId, invitee });
  }

  async networkList(): Promise<NetworkInfo[]> {
    return (await this.signed<{ networks: NetworkInfo[] }>("network_list")).networks;
  }

  networkMembers(networkId: number, opts: { limit?: number; cursor?: string } = {}): Promise<NetworkMembersOk> {
    const fields: Json = { network_id: networkId };
    if (opts.limit !== undefined) fields.limit = opts.limit;
    if (opts.cursor !== undefined) fields.cursor = opts.cursor;
    return this.signed<NetworkMembersOk>("network_members", fields);
  }

  handshakeRequest(to: number, message: Json): Promise<{ queued: true }> {
    return this.signed("handshake_request", { to, message });
  }

  handshakeRespond(to: number, message: Json): Promise<{ queued: true }> {
    return this.signed("handshake_respond", { to, message });
  }

  handshakePoll(ack: number[] = [], max?: number): Promise<HandshakePollOk> {
    const fields: Json = { ack };
    if (max !== undefined) fields.max = max;
    return this.signed<HandshakePollOk>("handshake_poll", fields);
  }

  reportTrust(peer: NodeRef): Promise<{ mutual: boolean }> {
    return this.signed("report_trust", { peer });
  }

  revokeTrust(peer: NodeRef): Promise<{ mutual: false }> {
    return this.signed("revoke_trust", { peer });
  }

  async listTrust(): Promise<TrustEdge[]> {
    return (await this.signed<{ edges: TrustEdge[] }>("list_trust")).edges;
  }

  punch(target: NodeRef): Promise<PunchOk> {
    return this.signed<PunchOk>("punch", { target });
  }

  /** Closes the connection; pending requests fail with connection_failed. */
  close(): Promise<void> {
    return this.#transport.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects (and runs `setup`, e.g. register) with the reconnect schedule of §4.5 until it works; the daemon calls
 * this after 3 failed heartbeats and gets the same node id back by registering the same key.
 */
export function connectWithBackoff(
  opts: RegistryClientOptions,
  backoff: BackoffOptions = {},
  setup?: (client: RegistryClient) => Promise<void>,
): Promise<RegistryClient> {
  return withBackoff(async () => {
    const client = await RegistryClient.connect(opts);
    try {
      await setup?.(client);
      return client;
    } catch (err) {
      await client.close();
      throw err;
    }
  }, backoff);
}
