// The node's built-in services (PROTOCOL-BRIEF §9) on their well-known ports: echo (7), the trust handshake (444),
// data exchange into inbox/ and received/ (1001) and the event broker (1002); port 1003 stays unbound so it refuses
// with RST 1. Also the webhook dispatcher (§9.5) the services and the daemon report events to.
import { pilotPaths } from "../config/mod.ts";
import type { Logger } from "../log/logger.ts";
import type { StreamStack } from "../transport/mod.ts";
import { TRUST_PORT, type TrustAction, type TrustManager, type TrustMessage } from "../trust/mod.ts";
import type { Clock } from "../util/clock.ts";
import type { DropRegistry } from "./drops.ts";
import type { MemberCache } from "./members.ts";
import type { NodeState } from "./node_state.ts";
import type { PortTable } from "./port_table.ts";
import { ServiceHost } from "./service_host.ts";
import { DATA_EXCHANGE_PORT, DataExchangeService } from "./services/data_exchange_service.ts";
import { ECHO_PORT, echoService } from "./services/echo.ts";
import { EVENT_STREAM_PORT, EventBroker } from "./services/event_stream_broker.ts";
import { InboxStore } from "./services/mailbox_inbox.ts";
import { ReceivedStore } from "./services/mailbox_received.ts";
import { trustService } from "./services/trust_service.ts";
import { WebhookDispatcher } from "./services/webhook.ts";
import type { NodeSettings } from "./settings.ts";

export interface ServicesInput {
  readonly settings: NodeSettings;
  readonly state: NodeState;
  readonly stack: StreamStack;
  readonly trust: TrustManager;
  /** Runs the actions of a trust message received on port 444. */
  readonly performTrust: (actions: readonly TrustAction<TrustMessage>[]) => void;
  readonly members: MemberCache;
  /** The peer's hostname for display, looked up when not known yet (bounded; "" when hidden). */
  readonly hostname: (node: number) => Promise<string>;
  readonly ports: PortTable;
  readonly drops: DropRegistry;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface NodeServices {
  readonly hosts: readonly ServiceHost[];
  readonly webhooks: WebhookDispatcher;
  readonly broker: EventBroker;
  readonly exchange: DataExchangeService;
  close(): Promise<void>;
}

export async function startServices(i: ServicesInput): Promise<NodeServices> {
  const { settings, state, log } = i;
  const paths = pilotPaths(settings.home);
  const webhooks = new WebhookDispatcher({
    target: { url: settings.webhook, secret: settings.webhookSecret },
    self: () => ({ nodeId: state.nodeId, address: state.address }),
    clock: i.clock,
    log: log.child("webhook"),
  });
  const exchange = new DataExchangeService({
    inbox: new InboxStore(paths.inboxDir, i.clock),
    received: new ReceivedStore(paths.receivedDir),
    selfNode: state.nodeId,
    isMember: (network, node) => node === state.nodeId ? state.isMember(network) : i.members.has(network, node),
    maxFileBytes: () => settings.maxFileSize,
    webhooks,
    log: log.child("exchange"),
  });
  const broker = new EventBroker({ webhooks, log: log.child("events") });
  const hosts: ServiceHost[] = [];
  const close = async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await broker.close();
    await webhooks.close();
  };
  try {
    await exchange.start();
    // Only the data exchange shows the peer's hostname (inbox entries); the others never wait for a lookup.
    const host = (port: number, service: Parameters<typeof ServiceHost.start>[2], name: string, named = false) => {
      const hostname = named ? i.hostname : undefined;
      hosts.push(ServiceHost.start(i.stack, port, service, { log: log.child(name), hostname }));
      i.ports.add("stream", port);
    };
    host(ECHO_PORT, echoService, "echo");
    host(
      TRUST_PORT,
      trustService({
        trust: i.trust,
        perform: i.performTrust,
        refused: (code) => i.drops.add(`trust_${code}`),
      }),
      "trust",
    );
    host(DATA_EXCHANGE_PORT, exchange, "exchange", true);
    host(EVENT_STREAM_PORT, broker, "events");
  } catch (err) {
    await close();
    throw err;
  }
  return { hosts, webhooks, broker, exchange, close };
}
