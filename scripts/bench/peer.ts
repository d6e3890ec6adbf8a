// Starts a benchmark peer script (a baseline echo server) as its own process and reads the `{"port":N}` line it
// prints once bound.
import { PilotProcess } from "./pilot_process.ts";

const PEER_READY_TIMEOUT_MS = 30_000;

export interface Peer extends AsyncDisposable {
  readonly port: number;
  readonly process: PilotProcess;
}

export async function startPeer(script: string): Promise<Peer> {
  const process = PilotProcess.spawnScript(new URL(script, import.meta.url).pathname, []);
  try {
    const out = await process.waitForStdout((s) => s.includes("\n"), PEER_READY_TIMEOUT_MS);
    const port = Number(JSON.parse(out.slice(0, out.indexOf("\n"))).port);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`peer ${script} printed no port: ${out}`);
    return { port, process, [Symbol.asyncDispose]: () => process[Symbol.asyncDispose]() };
  } catch (err) {
    await process[Symbol.asyncDispose]();
    throw err;
  }
}
