// The echo service on port 7 (PROTOCOL-BRIEF §9.1): every byte received is written back; at end of stream the echo
// finishes and the service half-closes. It reads only after the previous bytes were handed to the stream, so no more
// than one batch (≤ 1 MiB) waits un-echoed and a slow reader makes the sender's window close.
import type { StreamConn } from "../../transport/mod.ts";
import type { ConnService } from "../service_host.ts";

export const ECHO_PORT = 7;
/** The most bytes read ahead of the echo (§9.1: ≤ 1 MiB buffered un-echoed). */
export const ECHO_UNECHOED_MAX_BYTES = 1024 * 1024;

export const echoService: ConnService = {
  async serve(conn: StreamConn): Promise<void> {
    for (;;) {
      const first = await conn.read();
      if (first === null) break;
      await conn.write(conn.gather(first, ECHO_UNECHOED_MAX_BYTES));
    }
    await conn.closeWrite();
  },
};
