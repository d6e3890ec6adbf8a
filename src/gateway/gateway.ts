// The gateway's mapping table (CLI.md §3.9): local IP ↔ agent, the next free IP (.1 first), live map / unmap and the
// state `gateway list` shows. Changes run one at a time, so two concurrent `map`s never pick the same IP.
import type { Logger } from "../log/logger.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../util/errors.ts";
import type { AliasManager } from "./aliases.ts";
import type { PilotDialer } from "./dialer.ts";
import { CountingBudget, Mapping } from "./mapping.ts";
import { firstFreeHost, parseLocalIp, type Subnet } from "./subnet.ts";

/** Mappings per gateway: each is a listener per port. */
export const GATEWAY_MAPPINGS_MAX = 1024;
/** Bridged connections per gateway, all mappings together. */
export const GATEWAY_CONNECTIONS_MAX = 4096;

export interface GatewayOptions {
  readonly subnet: Subnet;
  readonly ports: readonly number[];
  readonly dialer: PilotDialer;
  readonly aliases: AliasManager;
  readonly logger: Logger;
  readonly maxConnections?: number;
}

/** A mapping to add: the agent, already resolved, and optionally the local IP the user asked for. */
export interface MapRequest {
  readonly pilotAddr: string;
  readonly hostname: string;
  readonly localIp?: string;
}

/** Which mapping to remove: by local IP, agent address or hostname. */
export interface UnmapKey {
  readonly localIp?: string;
  readonly pilotAddr?: string;
  readonly hostname?: string;
}

/** `data` of `map` and the rows of `start` / `run`. */
export interface MappingInfo {
  readonly local_ip: string;
  readonly pilot_addr: string;
  readonly hostname: string;
}

/** A row of `gateway list`. */
export interface MappingState extends MappingInfo {
  readonly connections: number;
}

export interface GatewayState {
  readonly subnet: string;
  readonly ports: readonly number[];
  readonly mappings: readonly MappingState[];
  readonly total: number;
}

export class Gateway {
  readonly subnet: Subnet;
  readonly ports: readonly number[];
  readonly #dialer: PilotDialer;
  readonly #aliases: AliasManager;
  readonly #log: Logger;
  readonly #budget: CountingBudget;
  /** By local IP, in the order they were added. */
  readonly #mappings = new Map<number, Mapping>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: GatewayOptions) {
    this.subnet = options.subnet;
    this.ports = [...options.ports];
    this.#dialer = options.dialer;
    this.#aliases = options.aliases;
    this.#log = options.logger;
    this.#budget = new CountingBudget(options.maxConnections ?? GATEWAY_CONNECTIONS_MAX);
  }

  /** Adds a mapping and starts listening on it; the IP is the requested one or the lowest free. */
  map(request: MapRequest): Promise<MappingInfo> {
    return this.#serialised(() => this.#map(request));
  }

  /** Removes a mapping, closing its listeners and connections (and its alias). */
  unmap(key: UnmapKey): Promise<{ local_ip: string; pilot_addr: string }> {
    return this.#serialised(() => this.#unmap(key));
  }

  list(): GatewayState {
    const mappings = [...this.#mappings.values()].map((m) => ({ ...info(m), connections: m.connections }));
    return { subnet: this.subnet.text, ports: [...this.ports], mappings, total: mappings.length };
  }

  mappings(): MappingInfo[] {
    return [...this.#mappings.values()].map(info);
  }

  /** Removes every mapping; further changes are refused. */
  close(): Promise<void> {
    return this.#serialised(async () => {
      this.#closed = true;
      const all = [...this.#mappings.values()];
      this.#mappings.clear();
      await Promise.all(all.map((m) => this.#release(m)));
    });
  }

  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #map(request: MapRequest): Promise<MappingInfo> {
    if (this.#closed) throw new InvalidArgumentError("the gateway is shutting down");
    for (const m of this.#mappings.values()) {
      if (m.pilotAddr === request.pilotAddr) {
        throw new AlreadyExistsError(`${request.pilotAddr} is already mapped to ${m.localIp}`, {
          hint: `pilotctl gateway unmap ${m.localIp}`,
          detail: "mapped",
        });
      }
    }
    if (this.#mappings.size >= GATEWAY_MAPPINGS_MAX) {
      throw new InvalidArgumentError(`too many mappings (max ${GATEWAY_MAPPINGS_MAX})`);
    }
    const ip = request.localIp === undefined ? this.#nextFree() : parseLocalIp(this.subnet, request.localIp);
    const taken = this.#mappings.get(ip);
    if (taken !== undefined) {
      throw new AlreadyExistsError(`local IP ${taken.localIp} is already mapped to ${taken.pilotAddr}`, {
        hint: `pilotctl gateway unmap ${taken.localIp}`,
        detail: "mapped",
      });
    }
    await this.#aliases.add(ip);
    let mapping: Mapping;
    try {
      mapping = Mapping.open({
        ip,
        pilotAddr: request.pilotAddr,
        hostname: request.hostname,
        ports: this.ports,
        dialer: this.#dialer,
        budget: this.#budget,
        logger: this.#log,
      });
    } catch (err) {
      await this.#aliases.remove(ip);
      throw err;
    }
    this.#mappings.set(ip, mapping);
    this.#log.info("mapped", { ip: mapping.localIp, to: mapping.pilotAddr, hostname: mapping.hostname || undefined });
    return info(mapping);
  }

  #nextFree(): number {
    const ip = firstFreeHost(this.subnet, new Set(this.#mappings.keys()));
    if (ip === null) throw new InvalidArgumentError(`no free IP left in ${this.subnet.text}`);
    return ip;
  }

  async #unmap(key: UnmapKey): Promise<{ local_ip: string; pilot_addr: string }> {
    const mapping = this.#find(key);
    if (mapping === undefined) {
      const shown = key.localIp ?? key.pilotAddr ?? key.hostname ?? "";
      throw new NotFoundError(`no mapping for ${key.hostname === undefined ? shown : `"${shown}"`}`, {
        hint: "pilotctl gateway list",
        detail: "mapping",
      });
    }
    this.#mappings.delete(mapping.ip);
    await this.#release(mapping);
    this.#log.info("unmapped", { ip: mapping.localIp, to: mapping.pilotAddr });
    return { local_ip: mapping.localIp, pilot_addr: mapping.pilotAddr };
  }

  #find(key: UnmapKey): Mapping | undefined {
    const all = [...this.#mappings.values()];
    if (key.localIp !== undefined) return all.find((m) => m.localIp === key.localIp);
    if (key.pilotAddr !== undefined) return all.find((m) => m.pilotAddr === key.pilotAddr);
    if (key.hostname !== undefined && key.hostname !== "") return all.find((m) => m.hostname === key.hostname);
    return undefined;
  }

  async #release(mapping: Mapping): Promise<void> {
    await mapping.close();
    await this.#aliases.remove(mapping.ip);
  }
}

function info(m: Mapping): MappingInfo {
  return { local_ip: m.localIp, pilot_addr: m.pilotAddr, hostname: m.hostname };
}

/** `  127.4.0.1 -> 0:0000.0000.0104  ports 80,443`, the ready block's mapping line. */
export function formatMappingLine(m: MappingInfo, ports: readonly number[]): string {
  return `  ${m.local_ip} -> ${m.pilot_addr}  ports ${ports.join(",")}`;
}
