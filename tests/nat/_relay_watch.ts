// Watching what the beacon relay (PROTOCOL-BRIEF §5.4) receives and sends, from inside the public namespace: iptables
// rules without a target only count the beacon's UDP datagrams whose bytes contain a given text (`-m string`), so a
// test can prove that plaintext never crosses the relay (frames stay sealed end to end) and that a spoofed RELAY
// reaches the beacon but is never forwarded as RELAY_DELIVER.
import { toHex } from "../../src/util/bytes.ts";
import { encodeBeaconMessage } from "../../src/wire/mod.ts";
import { runChecked } from "../_support/netns_shell.ts";
import type { NatScenario } from "./_scenario.ts";
import { BEACON_PORT } from "./_scenario.ts";

/** Datagrams with `text` that the beacon received (INPUT) and sent (OUTPUT) since watch() was called. */
export interface RelayCounts {
  readonly received: number;
  readonly sent: number;
}

export class RelayWatch {
  readonly #s: NatScenario;
  readonly #texts: readonly string[];

  private constructor(s: NatScenario, texts: readonly string[]) {
    this.#s = s;
    this.#texts = texts;
  }

  /** Installs a counting rule per text in the public namespace's INPUT (to the beacon) and OUTPUT (from it). */
  static async watch(s: NatScenario, texts: readonly string[]): Promise<RelayWatch> {
    for (const [i, text] of texts.entries()) {
      if (!/^[A-Za-z0-9-]+$/.test(text)) throw new Error(`watch relay for "${text}": use letters, digits and -`);
      for (const [chain, portFlag] of [["INPUT", "--dport"], ["OUTPUT", "--sport"]]) {
        await runChecked([
          "ip",
          "netns",
          "exec",
          s.lab.nsName("public"),
          "iptables",
          "-A",
          chain,
          "-p",
          "udp",
          portFlag,
          String(BEACON_PORT),
          "-m",
          "string",
          "--algo",
          "bm",
          "--string",
          text,
          "-m",
          "comment",
          "--comment",
          `pl-watch-${i}`,
        ]);
      }
    }
    return new RelayWatch(s, texts);
  }

  async counts(text: string): Promise<RelayCounts> {
    const i = this.#texts.indexOf(text);
    if (i < 0) throw new Error(`relay counts for "${text}": not watched`);
    const count = async (chain: string): Promise<number> => {
      const listing = await runChecked(
        ["ip", "netns", "exec", this.#s.lab.nsName("public"), "iptables", "-L", chain, "-v", "-x", "-n"],
      );
      const line = listing.split("\n").find((l) => l.includes(`/* pl-watch-${i} */`));
      if (line === undefined) throw new Error(`relay counts: no rule pl-watch-${i} in ${chain}`);
      return Number(line.trim().split(/\s+/)[0]);
    };
    return { received: await count("INPUT"), sent: await count("OUTPUT") };
  }
}

/** Size of the spoofed inner frame: room for the 16-byte PILS header, the marker and a tag's worth of bytes. */
const SPOOF_INNER_BYTES = 128;
const PILS_HEADER_BYTES = 16;

/**
 * A RELAY to `dstNode` claiming to come from `srcNode`, with a PILS-shaped inner frame that carries `marker` in the
 * clear (a real PILS never does), for a sender that is not `srcNode`'s registered endpoint.
 */
export function spoofedRelayHex(srcNode: number, dstNode: number, marker: string): string {
  const inner = new Uint8Array(SPOOF_INNER_BYTES);
  inner.set(new TextEncoder().encode("PILS"));
  const text = new TextEncoder().encode(marker);
  if (PILS_HEADER_BYTES + text.length > SPOOF_INNER_BYTES) throw new Error(`spoof relay: marker "${marker}" too long`);
  inner.set(text, PILS_HEADER_BYTES);
  return toHex(encodeBeaconMessage({ type: "relay", srcNode, dstNode, inner }));
}
