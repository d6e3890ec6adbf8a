// IPC commands the registry answers (PROTOCOL-BRIEF §4.4, §8.3; CLI.md §3.3, §3.4): the daemon signs and forwards
// them, keeps what they change about this node (hostname, visibility, tags, networks, registration) and returns the
// registry's fields; registry errors arrive already mapped to the CLI codes (§8.4).
import type { IpcArgs, IpcCommandHandler, IpcResult } from "../ipc/mod.ts";
import type { JoinRule, RegistryClient } from "../registry/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { formatAddr } from "../wire/mod.ts";
import { intArg, optBoolArg, optIntArg, optStrArg, strArg, strListArg } from "./ipc_args.ts";
import type { NodeState } from "./node_state.ts";
import type { RegistrySession } from "./registry_session.ts";
import type { ResolvedName } from "./targets.ts";

const NETWORK_ID_MAX = 0xfffe;
const TAGS_MAX = 10;
const JOIN_RULES: readonly JoinRule[] = ["open", "token", "invite"];

export interface IpcDirectoryDeps {
  readonly session: RegistrySession;
  readonly state: NodeState;
  readonly resolve: (name: unknown) => Promise<ResolvedName>;
  readonly rotateKey: () => Promise<IpcResult>;
}

/** The registry's reply without its `type`. */
function fields(reply: Record<string, unknown>): IpcResult {
  const { type: _type, ...rest } = reply;
  return rest;
}

export function directoryCommands(d: IpcDirectoryDeps): Record<string, IpcCommandHandler> {
  const registry = (): RegistryClient => d.session.require();
  const state = d.state;
  const networkId = (args: IpcArgs) => intArg(args, "network_id", 0, NETWORK_ID_MAX);
  return {
    async resolve(args): Promise<IpcResult> {
      const found = await d.resolve(args.name);
      const node = found.addr.node;
      let hostname = found.hostname;
      let isPublic = found.public;
      if (node === state.nodeId) {
        hostname = state.hostname;
        isPublic = state.public ?? false;
      } else if (isPublic === undefined) {
        // Best effort: the registry may not show the node to us; the address itself is still valid.
        const record = await registry().lookup(node).catch(() => null);
        hostname ??= record?.hostname;
        isPublic = record?.public ?? false;
      }
      state.rememberHostname(node, hostname);
      const out: IpcResult = { node_id: node, address: formatAddr(found.addr), public: isPublic };
      if (hostname !== undefined && hostname !== "") out.hostname = hostname;
      return out;
    },
    async register(): Promise<IpcResult> {
      const ok = await d.session.register();
      return { node_id: ok.node_id, address: ok.address, hostname: ok.hostname ?? "" };
    },
    async deregister(args): Promise<IpcResult> {
      const release = optBoolArg(args, "release");
      const purge = optBoolArg(args, "purge");
      await d.session.deregister({
        ...(release === undefined ? {} : { release }),
        ...(purge === undefined ? {} : { purge }),
      });
      state.setRegistered(false);
      if (release === true || purge === true) {
        state.setHostname("");
        state.setTags([]);
      }
      return { offline: true };
    },
    async lookup(args): Promise<IpcResult> {
      const node = (await d.resolve(args.target)).addr.node;
      const reply = await registry().lookup(node);
      state.rememberHostname(node, reply.hostname);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async find_by_tag(args): Promise<IpcResult> {
      const reply = await registry().findByTag({
        tags: strListArg(args, "tags", TAGS_MAX),
        networkId: optIntArg(args, "network_id", 0, NETWORK_ID_MAX),
        limit: optIntArg(args, "limit", 1, 100),
        cursor: optStrArg(args, "cursor", 256),
      });
      for (const n of reply.nodes) state.rememberHostname(n.node_id, n.hostname);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async network_create(args): Promise<IpcResult> {
      const rule = strArg(args, "join_rule", 16) as JoinRule;
      if (!JOIN_RULES.includes(rule)) {
        throw new InvalidArgumentError(`invalid join rule "${rule}" (use open, token or invite)`);
      }
      const reply = await registry().networkCreate(strArg(args, "name", 64), rule, optStrArg(args, "token", 128));
      state.joinNetwork(reply.network_id);
      state.setNetworkName(reply.network_id, reply.name);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async network_join(args): Promise<IpcResult> {
      const id = optIntArg(args, "network_id", 0, NETWORK_ID_MAX);
      const which = id ?? strArg(args, "name", 64);
      const reply = await registry().networkJoin(which, optStrArg(args, "token", 128));
      state.joinNetwork(reply.network_id);
      if (typeof which === "string") state.setNetworkName(reply.network_id, which);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async network_leave(args): Promise<IpcResult> {
      const reply = await registry().networkLeave(networkId(args));
      state.leaveNetwork(reply.network_id);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async network_invite(args): Promise<IpcResult> {
      const invitee = (await d.resolve(args.invitee)).addr.node;
      return fields(await registry().networkInvite(networkId(args), invitee) as unknown as Record<string, unknown>);
    },
    async network_list(): Promise<IpcResult> {
      const networks = await registry().networkList();
      for (const n of networks) if (n.member) state.setNetworkName(n.network_id, n.name);
      return { networks };
    },
    async network_members(args): Promise<IpcResult> {
      const reply = await registry().networkMembers(networkId(args), {
        limit: optIntArg(args, "limit", 1, 500),
        cursor: optStrArg(args, "cursor", 256),
      });
      for (const m of reply.members) state.rememberHostname(m.node_id, m.hostname);
      return fields(reply as unknown as Record<string, unknown>);
    },
    async set_hostname(args): Promise<IpcResult> {
      const reply = await registry().setHostname(strArg(args, "hostname", 64));
      state.setHostname(reply.hostname ?? "");
      return { hostname: reply.hostname ?? "" };
    },
    async set_visibility(args): Promise<IpcResult> {
      const wanted = args.public;
      if (typeof wanted !== "boolean") throw new InvalidArgumentError(`invalid public ${JSON.stringify(wanted)}`);
      const reply = await registry().setVisibility(wanted);
      state.setPublic(reply.public);
      return { public: reply.public };
    },
    async set_tags(args): Promise<IpcResult> {
      const reply = await registry().setTags(strListArg(args, "tags", TAGS_MAX * 4));
      const tags = Array.isArray(reply.tags) ? reply.tags : [];
      state.setTags(tags);
      return { tags };
    },
    rotate_key(): Promise<IpcResult> {
      return d.rotateKey();
    },
  };
}
