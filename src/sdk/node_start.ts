// Starting an in-process node for createNode() (node.ts): settings from the options (CLI.md §1.7 keys, the home's
// config.json below them), the daemon's startNode() with its IPC socket in a private temp dir (0700, the socket
// itself 0600, PROTOCOL-BRIEF §8.1), and the IPC client connected to it. Loaded on demand, so programs that only
// connect() to a daemon never load the daemon and its registry client.
import denoJson from "../../deno.json" with { type: "json" };
import { pilotPaths, resolveConfig } from "../config/mod.ts";
import { type Node, nodeSettings, StartAbortedError, startNode } from "../daemon/mod.ts";
import { SOCKET_PATH_MAX_BYTES } from "../ipc/constants.ts";
import { ipcAddress, IpcClient } from "../ipc/mod.ts";
import { Logger, type LogSink, stderrSink } from "../log/logger.ts";
import { ConnectionFailedError } from "../util/errors.ts";
import { sdkError } from "./errors.ts";
import type { CreateNodeOptions } from "./types.ts";

const NODE_CLIENT_NAME = "sdk-node";
const SOCKET_FILE_NAME = "ipc.sock";
/** Where the socket dir goes when $TMPDIR is too deep for a socket path (§8.1: ≤ 100 bytes). */
const SHORT_TMP_DIR = "/tmp";
const DEFAULT_LOG_LEVEL = "warn";

const silentSink: LogSink = { write() {} };

export interface StartedNode {
  readonly node: Node;
  readonly ipc: IpcClient;
  /** Directories the node's close() removes. */
  readonly tempDirs: readonly string[];
}

async function socketDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-sdk-" });
  if (new TextEncoder().encode(`${dir}/${SOCKET_FILE_NAME}`).length <= SOCKET_PATH_MAX_BYTES) return dir;
  await Deno.remove(dir);
  return await Deno.makeTempDir({ dir: SHORT_TMP_DIR, prefix: "pilot-sdk-" });
}

function logger(level: CreateNodeOptions["logLevel"]): Logger {
  if (level === "silent") return new Logger({ sink: silentSink, level: "error" });
  return new Logger({ sink: stderrSink, level: level ?? DEFAULT_LOG_LEVEL });
}

/** Starts the node and connects to it; on failure nothing is left behind. */
export async function startInProcessNode(options: CreateNodeOptions): Promise<StartedNode> {
  const tempDirs: string[] = [];
  let node: Node | null = null;
  try {
    let home = options.home;
    if (home === undefined) {
      home = await Deno.makeTempDir({ prefix: "pilot-node-" });
      tempDirs.push(home);
    }
    const sockDir = await socketDir();
    tempDirs.push(sockDir);
    const socket = `${sockDir}/${SOCKET_FILE_NAME}`;
    const config = await resolveConfig({
      // Only the home: an in-process node does not follow the PILOT_* variables meant for the daemon.
      env: new Map([["PILOT_HOME", home]]),
      flags: {
        registry: options.registry,
        socket,
        ...(options.beacon === undefined ? {} : { beacon: options.beacon }),
        ...(options.identityPath === undefined ? {} : { identity: options.identityPath }),
        ...(options.listen === undefined ? {} : { listen: options.listen }),
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
        ...(options.public === undefined ? {} : { public: options.public }),
        ...(options.registryCa === undefined ? {} : { registry_ca: options.registryCa }),
      },
    });
    node = await startNode(nodeSettings(config, { pidFile: false }), {
      log: logger(options.logLevel),
      version: denoJson.version,
      signal: options.signal,
    });
    const ipc = await IpcClient.connect(ipcAddress(socket, pilotPaths(config.home).ipcToken), {
      client: NODE_CLIENT_NAME,
      version: denoJson.version,
    });
    return { node, ipc, tempDirs };
  } catch (err) {
    await node?.close().catch(() => {});
    for (const dir of tempDirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (err instanceof StartAbortedError) {
      throw new ConnectionFailedError(`node start-up aborted before registry ${options.registry} answered`, {
        detail: "aborted",
      });
    }
    throw sdkError(err);
  }
}
