// The trust handshake on port 444 (PROTOCOL-BRIEF §6.2), the only port open to untrusted peers: both sides of the
// stream exchange. Receiver: each framed message goes to the TrustManager with the tunnel-authenticated peer and is
// answered by one `trust_ack`; the actions it returns run in the background. Sender: writes its messages,
// half-closes and reads one ack per message. Either side gives up after 10 s.
import type { StreamConn } from "../../transport/mod.ts";
import {
  encodeTrustAckFrame,
  PORT444_TIMEOUT_MS,
  type TrustAck,
  type TrustAction,
  type TrustManager,
  type TrustMessage,
  TrustStreamReceiver,
  TrustStreamSender,
} from "../../trust/mod.ts";
import { ConnectionFailedError, TimeoutError } from "../../util/errors.ts";
import type { ConnService, ServicePeer } from "../service_host.ts";

export interface TrustServiceDeps {
  readonly trust: TrustManager;
  /** Runs the actions of a received message (replies, pins, registry edges) without holding up the ack. */
  readonly perform: (actions: readonly TrustAction<TrustMessage>[]) => void;
  /** Counts a refused message by its `trust_ack` code. */
  readonly refused?: (code: string) => void;
  readonly timeoutMs?: number;
}

export function trustService(deps: TrustServiceDeps): ConnService {
  return {
    async serve(conn: StreamConn, peer: ServicePeer): Promise<void> {
      const timer = setTimeout(() => conn.abort(), deps.timeoutMs ?? PORT444_TIMEOUT_MS);
      try {
        await receive(conn, peer.node, deps);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function receive(conn: StreamConn, peer: number, deps: TrustServiceDeps): Promise<void> {
  const receiver = new TrustStreamReceiver();
  for (;;) {
    const chunk = await conn.read();
    const events = chunk === null ? receiver.end() : receiver.push(chunk);
    for (const ev of events) {
      switch (ev.kind) {
        case "message": {
          const result = await deps.trust.onMessage(ev.value, "direct", peer);
          if (result.ack.status === "error") deps.refused?.(result.ack.code ?? "error");
          // Started before the ack is written (it does not wait): what the actions record (a rejection's reason)
          // is then in place as soon as the new trust state can be seen.
          deps.perform(result.actions);
          await conn.write(encodeTrustAckFrame(result.ack));
          break;
        }
        case "reply":
          await conn.write(encodeTrustAckFrame(ev.ack));
          break;
        case "close":
          await conn.closeWrite();
          return;
      }
    }
    if (chunk === null) return;
  }
}

/**
 * Sends `messages` on an open port-444 stream and returns their acks in order; the stream is closed afterwards.
 * Fails with `connection_failed` on a broken exchange and `timeout` after `timeoutMs`.
 */
export async function exchangeTrust(
  conn: StreamConn,
  messages: readonly TrustMessage[],
  timeoutMs: number = PORT444_TIMEOUT_MS,
): Promise<TrustAck[]> {
  const sender = new TrustStreamSender(messages);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    conn.abort();
  }, timeoutMs);
  try {
    await conn.write(sender.bytes);
    conn.closeWrite().catch(() => {});
    for (;;) {
      const chunk = await conn.read();
      const progress = chunk === null ? sender.end() : sender.push(chunk);
      if (!progress.done) continue;
      if (progress.failure !== undefined) {
        throw new ConnectionFailedError(`trust exchange with ${conn.remoteText} failed: ${progress.failure}`);
      }
      return [...progress.acks];
    }
  } catch (err) {
    if (expired) throw new TimeoutError(`trust exchange with ${conn.remoteText} timed out`);
    throw err;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
