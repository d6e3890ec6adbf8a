// IPC commands `expose` / `unexpose` / `expose_list` (PROTOCOL-BRIEF §8.3): daemon-wide, so any client may list or
// unexpose a port another client exposed.
import type { IpcCommandHandler, IpcResult } from "../ipc/mod.ts";
import type { Exposer } from "./expose.ts";
import { EXPOSE_TARGET_MAX_CHARS } from "./expose_target.ts";
import { intArg, strArg } from "./ipc_args.ts";

const PORT_MAX = 0xffff;

export function exposeCommands(exposer: Exposer): Record<string, IpcCommandHandler> {
  return {
    expose: (args): Promise<IpcResult> => {
      const port = intArg(args, "port", 1, PORT_MAX, "port_range");
      const to = strArg(args, "to", EXPOSE_TARGET_MAX_CHARS);
      return Promise.resolve(exposer.expose(port, to));
    },
    unexpose: (args): Promise<IpcResult> => exposer.unexpose(intArg(args, "port", 1, PORT_MAX, "port_range")),
    expose_list: (): Promise<IpcResult> => Promise.resolve({ exposed: exposer.list() }),
  };
}
