// The Chrome DevTools Protocol over one WebSocket, for tests/_support/browser.ts: numbered commands matched to their
// replies with a bound on each, and events routed by flat session id. Only what the browser tests use.

const CONNECT_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 15_000;

/** Rejects with `message` after `ms` unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(message)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export type EventHandler = (method: string, params: Record<string, unknown>) => void;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** One DevTools WebSocket: numbered commands matched to replies, events routed by session ("" = the browser). */
export class CdpClient {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, Set<EventHandler>>();
  readonly #closed: Promise<void>;
  #nextId = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e: MessageEvent) => this.#onMessage(String(e.data));
    this.#closed = new Promise((resolve) => {
      ws.onclose = () => {
        this.#failAll("the DevTools connection closed");
        resolve();
      };
    });
  }

  static async connect(url: string): Promise<CdpClient> {
    const ws = new WebSocket(url);
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          ws.onopen = () => resolve();
          ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
        }),
        CONNECT_TIMEOUT_MS,
        `no DevTools connection within ${CONNECT_TIMEOUT_MS} ms`,
      );
    } catch (err) {
      ws.close();
      throw err;
    }
    return new CdpClient(ws);
  }

  #onMessage(text: string): void {
    const msg = JSON.parse(text) as {
      id?: number;
      result?: unknown;
      error?: { message?: string };
      method?: string;
      params?: Record<string, unknown>;
      sessionId?: string;
    };
    if (msg.id !== undefined) {
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error !== undefined) p.reject(new Error(`CDP error: ${msg.error.message ?? JSON.stringify(msg.error)}`));
      else p.resolve(msg.result ?? {});
      return;
    }
    if (msg.method === undefined) return;
    for (const h of this.#handlers.get(msg.sessionId ?? "") ?? []) h(msg.method, msg.params ?? {});
  }

  #failAll(why: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.#pending.delete(id);
    }
  }

  send<T>(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = COMMAND_TIMEOUT_MS) {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error(`cannot send ${method}: the DevTools connection is closed`));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`CDP ${method} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: (v) => resolve(v as T), reject, timer });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }));
    });
  }

  /** Calls `handler` for every event of `sessionId`; returns the unsubscribe function. */
  on(sessionId: string, handler: EventHandler): () => void {
    let set = this.#handlers.get(sessionId);
    if (set === undefined) this.#handlers.set(sessionId, set = new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  /** The next `method` event of `sessionId` (subscribe before acting); `cancel` stops waiting without settling. */
  waitForEvent(sessionId: string, method: string, timeoutMs: number) {
    let off = () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    const promise = new Promise<Record<string, unknown>>((resolve, reject) => {
      off = this.on(sessionId, (m, params) => {
        if (m !== method) return;
        cancel();
        resolve(params);
      });
      timer = setTimeout(() => {
        off();
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    // Handled here so a timeout nobody awaits yet is not an unhandled rejection.
    promise.catch(() => {});
    const cancel = () => {
      off();
      clearTimeout(timer);
    };
    return { promise, cancel };
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CONNECTING || this.#ws.readyState === WebSocket.OPEN) this.#ws.close();
    await within(this.#closed, CONNECT_TIMEOUT_MS, "the DevTools connection did not close").catch(() => {});
    this.#failAll("the DevTools connection closed");
  }
}
