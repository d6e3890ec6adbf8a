// Listen addresses of `registry run` (CLI.md §3.2): `host:port`, `:port` (all IPv4 interfaces), `[v6]:port`; port
// 0 asks the OS for a free one (tests). A malformed address is `invalid_argument`.
import { InvalidArgumentError } from "../util/errors.ts";

export interface HostPort {
  readonly hostname: string;
  readonly port: number;
  /** The text as given, for messages. */
  readonly text: string;
}

const PORT_RE = /^[0-9]{1,5}$/;
const HOST_RE = /^[A-Za-z0-9.\-]+$/;
const WILDCARD_V4 = "0.0.0.0";

export function parseHostPort(text: string, flag: string): HostPort {
  const bad = (why: string) => new InvalidArgumentError(`invalid ${flag} address "${text}": ${why}`);
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw bad("want host:port");
  const portText = text.slice(colon + 1);
  if (!PORT_RE.test(portText) || Number(portText) > 0xffff) throw bad("bad port");
  let host = text.slice(0, colon);
  if (host.startsWith("[")) {
    if (!host.endsWith("]") || !host.includes(":")) throw bad("bad IPv6 host");
    host = host.slice(1, -1);
  } else if (host === "") {
    host = WILDCARD_V4;
  } else if (!HOST_RE.test(host)) {
    throw bad("bad host");
  }
  return { hostname: host, port: Number(portText), text };
}
