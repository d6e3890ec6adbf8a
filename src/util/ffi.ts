// Whether this process may use Deno's FFI. The optional native paths (the libcrypto AES-GCM accelerator, larger UDP
// socket buffers through libc) ask first and stay off quietly without it: they must never make Deno prompt for a
// permission an SDK user chose not to grant.

/** True when FFI is already granted (querying never prompts). */
export function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}
