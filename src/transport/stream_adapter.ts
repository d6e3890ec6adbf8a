// Web Streams over one stream connection (PROTOCOL-BRIEF §7): a ReadableStream whose pulls take received chunks
// (returning their credit to the receive window, so an idle reader closes the window) and a WritableStream whose
// writes wait for send-buffer space. Closing the writable half-closes (FIN) and resolves once the FIN is
// acknowledged; aborting it resets the connection (RST 5); cancelling the readable stops reading.
import type { StreamConn } from "./stream_conn.ts";

export interface ConnStreams {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

export function connStreams(conn: StreamConn): ConnStreams {
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await conn.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      conn.shutdownRead();
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      return conn.write(chunk);
    },
    close() {
      return conn.closeWrite();
    },
    abort() {
      conn.abort();
    },
  }, { highWaterMark: 1 });
  return { readable, writable };
}
