// The daemon's IPC command table (PROTOCOL-BRIEF §8.3) for the IpcServer framework: every command of §8.3.
// `recv` / `recvfrom` credit is the server's own.
import type { IpcClientContext, IpcCommandHandler, IpcHandlers, IpcResult } from "../ipc/mod.ts";
import { LISTEN_BACKLOG_MAX } from "../transport/mod.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { intArg, optIntArg, strArg } from "./ipc_args.ts";
import { configCommands, type IpcConfigDeps } from "./ipc_config.ts";
import type { Exposer } from "./expose.ts";
import { exposeCommands } from "./expose_ipc.ts";
import { directoryCommands, type IpcDirectoryDeps } from "./ipc_directory.ts";
import { type IpcPingDeps, pingCommand } from "./ipc_ping.ts";
import type { IpcDatagrams } from "./ipc_datagrams.ts";
import type { IpcStreams } from "./ipc_streams.ts";
import { type IpcTrustDeps, trustCommands } from "./ipc_trust.ts";

export interface DaemonIpcDeps {
  readonly streams: IpcStreams;
  readonly datagrams: IpcDatagrams;
  readonly trust: IpcTrustDeps;
  readonly directory: IpcDirectoryDeps;
  readonly config: IpcConfigDeps;
  /** `ping`: one control ping (protocol 0x03), for `traceroute`. */
  readonly ping: IpcPingDeps;
  /** `expose` / `unexpose` / `expose_list`: daemon-wide exposed ports. */
  readonly expose: Exposer;
  readonly hello: () => IpcResult;
  readonly info: () => IpcResult;
  /** Called after the `shutdown` reply is on its way. */
  readonly shutdown: () => void;
}

export function daemonIpcHandlers(d: DaemonIpcDeps): IpcHandlers {
  const { streams, datagrams } = d;
  const commands: Record<string, IpcCommandHandler> = {
    hello: () => Promise.resolve(d.hello()),
    info: () => Promise.resolve(d.info()),
    bind: (args, client) => {
      const port = intArg(args, "port", 0, 0xffff, "port_range");
      const proto = strArg(args, "proto", 16);
      if (proto === "stream") {
        return Promise.resolve(streams.bind(client, port, optIntArg(args, "backlog", 1, LISTEN_BACKLOG_MAX)));
      }
      if (proto === "datagram") return Promise.resolve(datagrams.bind(client, port));
      throw badProto(proto);
    },
    unbind: (args, client) => {
      const port = intArg(args, "port", 0, 0xffff, "port_range");
      const proto = strArg(args, "proto", 16);
      if (proto === "stream") return streams.unbind(client, port);
      if (proto === "datagram") return Promise.resolve(datagrams.unbind(client, port));
      throw badProto(proto);
    },
    accept: (args, client) => streams.accept(args, client),
    dial: (args, client) => streams.dial(args, client),
    close: (args, client) => Promise.resolve(streams.close(args, client)),
    set_option: (args, client) => Promise.resolve(streams.setOption(args, client)),
    conn_abort: (args) => Promise.resolve(streams.connAbort(args)),
    ping: pingCommand(d.ping),
    shutdown: () => {
      setTimeout(d.shutdown, 0);
      return Promise.resolve({});
    },
    ...trustCommands(d.trust),
    ...directoryCommands(d.directory),
    ...configCommands(d.config),
    ...exposeCommands(d.expose),
  };
  return {
    commands,
    streamData: (client, conn, data) => streams.streamData(client, conn, data),
    datagram: (client, dg) => datagrams.sendto(client, dg),
    clientOpened: (client: IpcClientContext) => {
      client.onClose(async (c) => {
        await streams.clientClosed(c);
        datagrams.clientClosed(c);
      });
    },
  };
}

function badProto(proto: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid proto "${proto}": use stream or datagram`, { detail: "bad_argument" });
}
