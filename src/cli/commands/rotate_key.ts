// `pilotctl rotate-key` (CLI.md §3.3): the daemon creates a new Ed25519 key, has the registry accept it with a
// request signed by the old one (PROTOCOL-BRIEF §4.4 `rotate_key`) and rewrites the identity file. The previous
// public key comes from `info` first, since the answer carries only the new one.
import { withDaemon } from "../daemon_client.ts";
import type { CommandContext, CommandResult, CommandSpec } from "../spec.ts";

export function runRotateKey(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx, async (session) => {
    const before = await session.request("info", {});
    const result = await session.request("rotate_key", {});
    return {
      data: {
        node_id: result.node_id,
        address: result.address,
        public_key: result.public_key,
        previous_public_key: before.public_key ?? null,
      },
      human: `Key rotated for ${result.address} (address unchanged)`,
    };
  });
}

export const rotateKeyCommand: CommandSpec = {
  name: "rotate-key",
  summary: "Replace the node's Ed25519 key",
  description: "Creates a new Ed25519 key, registers it with a request signed by the old key, then writes it to " +
    "the identity file (keeping identity.json.old). Address, node ID, hostname, email and trust are unchanged.",
  args: [],
  flags: [],
  returns: ["node_id", "address", "public_key", "previous_public_key"],
  needsDaemon: true,
  run: runRotateKey,
};
