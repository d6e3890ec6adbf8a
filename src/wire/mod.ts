// Public face of src/wire: pure codecs for every byte layout of PROTOCOL-BRIEF (addresses §1, packet header §2,
// tunnel frames §3, registry framing §4.1, beacon messages §5.1, stream options and SACK §7, IPC framing §8.2).
// Decoders throw only WireFormatError; the address text parsers throw InvalidArgumentError (detail `bad_address`).
export * from "./errors.ts";
export * from "./address.ts";
export * from "./ip.ts";
export * from "./crc32.ts";
export * from "./header.ts";
export * from "./stream_options.ts";
export * from "./tunnel_frames.ts";
export * from "./tunnel_payloads.ts";
export * from "./beacon.ts";
export * from "./registry_frame.ts";
export * from "./ipc_frame.ts";
