// IPC framing (PROTOCOL-BRIEF §8.2): JSON, STREAM_DATA and DATAGRAM frames and the incremental reader.
import assert from "node:assert/strict";
import {
  decodeIpcFrame,
  encodeIpcFrame,
  encodeIpcJson,
  IPC_STREAM_DATA_MAX_BYTES,
  type IpcFrame,
  IpcFrameReader,
  MAX_IPC_FRAME_BYTES,
} from "../../src/wire/ipc_frame.ts";
import { parseJsonBody } from "../../src/wire/registry_frame.ts";
import { WireFormatError } from "../../src/wire/errors.ts";
import { concatBytes, toHex, utf8 } from "../../src/util/bytes.ts";
import { withSeed } from "../_support/prng.ts";

Deno.test("encodeIpcJson() writes length = 1 + body, kind 0x01, then the JSON", () => {
  const b = encodeIpcJson({ id: 1, cmd: "info" });
  const body = utf8(`{"id":1,"cmd":"info"}`);
  assert.equal(toHex(b.subarray(0, 5)), (body.length + 1).toString(16).padStart(8, "0") + "01");
  assert.deepEqual(b.subarray(5), body);
});

Deno.test("encodeIpcFrame() lays out STREAM_DATA and DATAGRAM bodies", () => {
  const sd = encodeIpcFrame({ kind: "stream_data", id: 7, conn: 0x01020304, data: Uint8Array.of(0xaa, 0xbb) });
  assert.equal(toHex(sd), "0000000b" + "02" + "00000007" + "01020304" + "aabb");
  const dg = encodeIpcFrame({
    kind: "datagram",
    id: 0,
    localPort: 1001,
    remote: { network: 5, node: 0xffffffff },
    remotePort: 80,
    data: Uint8Array.of(1),
  });
  assert.equal(toHex(dg), "00000010" + "03" + "00000000" + "03e9" + "0005ffffffff" + "0050" + "01");
});

Deno.test("IpcFrameReader decodes frames split at every byte", () => {
  const frames: IpcFrame[] = [
    { kind: "json", body: utf8(`{"event":"x"}`) },
    { kind: "stream_data", id: 0, conn: 3, data: new Uint8Array(0) },
    { kind: "datagram", id: 9, localPort: 1, remote: { network: 0, node: 0x101 }, remotePort: 2, data: utf8("hi") },
  ];
  const stream = concatBytes(...frames.map(encodeIpcFrame));
  const r = new IpcFrameReader();
  const got: IpcFrame[] = [];
  for (const byte of stream) {
    r.push(Uint8Array.of(byte));
    for (let res = r.next(); res.kind === "frame"; res = r.next()) got.push(res.frame);
  }
  assert.deepEqual(got, frames);
  const json = got[0];
  assert.ok(json.kind === "json" && parseJsonBody(json.body).ok);
});

Deno.test("IpcFrameReader reports too_large for length 0 and for more than 1 MiB", () => {
  for (const length of [0, MAX_IPC_FRAME_BYTES + 1, 0xffffffff]) {
    const r = new IpcFrameReader();
    const head = new Uint8Array(5);
    new DataView(head.buffer).setUint32(0, length);
    r.push(head);
    assert.deepEqual(r.next(), { kind: "too_large", length });
    assert.ok(r.failed);
  }
});

Deno.test("IpcFrameReader reports malformed frames and keeps framing", () => {
  const r = new IpcFrameReader();
  r.push(Uint8Array.of(0, 0, 0, 1, 0x04)); // unknown kind
  r.push(Uint8Array.of(0, 0, 0, 5, 0x02, 0, 0, 0, 1)); // STREAM_DATA body of 4 bytes
  r.push(Uint8Array.of(0, 0, 0, 14, 0x03, ...new Array(13).fill(0))); // DATAGRAM body of 13 bytes
  r.push(encodeIpcJson({ ok: true }));
  const kinds: string[] = [];
  for (let res = r.next(); res.kind !== "need_more"; res = r.next()) {
    kinds.push(res.kind === "malformed" ? `malformed:${res.error.field}` : res.kind);
  }
  assert.deepEqual(kinds, ["malformed:ipc_kind", "malformed:ipc_body", "malformed:ipc_body", "frame"]);
});

Deno.test("encodeIpcFrame() accepts a full 1 MiB frame and refuses one byte more", () => {
  const max = encodeIpcFrame({ kind: "stream_data", id: 1, conn: 1, data: new Uint8Array(IPC_STREAM_DATA_MAX_BYTES) });
  assert.equal(max.length, 4 + MAX_IPC_FRAME_BYTES);
  const r = new IpcFrameReader();
  r.push(max);
  const res = r.next();
  assert.ok(
    res.kind === "frame" && res.frame.kind === "stream_data" && res.frame.data.length === IPC_STREAM_DATA_MAX_BYTES,
  );
  assert.throws(
    () => encodeIpcFrame({ kind: "stream_data", id: 1, conn: 1, data: new Uint8Array(IPC_STREAM_DATA_MAX_BYTES + 1) }),
    WireFormatError,
  );
  assert.throws(
    () => encodeIpcFrame({ kind: "stream_data", id: -1, conn: 1, data: new Uint8Array(0) }),
    WireFormatError,
  );
  assert.throws(
    () =>
      encodeIpcFrame({
        kind: "datagram",
        id: 1,
        localPort: 65536,
        remote: { network: 0, node: 1 },
        remotePort: 1,
        data: new Uint8Array(0),
      }),
    WireFormatError,
  );
});

Deno.test("decodeIpcFrame(encoded) round-trips random frames", () =>
  withSeed((rng) => {
    for (let i = 0; i < 2000; i++) {
      const data = rng.bytes(rng.int(0, 300));
      const f: IpcFrame = rng.pick<() => IpcFrame>([
        () => ({ kind: "json", body: data }),
        () => ({ kind: "stream_data", id: rng.u32(), conn: rng.u32(), data }),
        () => ({
          kind: "datagram",
          id: rng.u32(),
          localPort: rng.int(0, 65535),
          remote: { network: rng.int(0, 65535), node: rng.u32() },
          remotePort: rng.int(0, 65535),
          data,
        }),
      ])();
      assert.deepEqual(decodeIpcFrame(encodeIpcFrame(f).subarray(4)), f);
    }
  }));
