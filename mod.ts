// pilotctl's TypeScript SDK (docs/SDK.md): `connect()` to the local daemon, or `createNode()` to run a node inside
// this process; both give a PilotClient (streams, datagrams, trust, messages, publish/subscribe). Deno only.
export * from "./src/sdk/mod.ts";
