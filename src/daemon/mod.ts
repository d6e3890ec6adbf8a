// Public face of src/daemon: the node daemon's composition root (startNode / Node), its settings, and the process
// helpers `daemon start|run|stop|status` use (pid file, rotating log file).
export {
  type DaemonReadyData,
  Node,
  type NodeDeps,
  SHUTDOWN_FIN_WAIT_MS,
  StartAbortedError,
  startNode,
} from "./node.ts";
export { type NodeSettings, nodeSettings } from "./settings.ts";
export {
  claimPidFile,
  daemonRunningError,
  parsePid,
  processAlive,
  readPidFile,
  releasePidFile,
  writePidFile,
} from "./pidfile.ts";
export { LOG_ROTATE_BYTES, RotatingFileSink } from "./log_file.ts";
export { DropRegistry } from "./drops.ts";
