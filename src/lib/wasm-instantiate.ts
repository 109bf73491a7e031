/** The slice of the WebAssembly global used here: the project's lib settings (no DOM) do not declare it. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/**
 * Compiles and instantiates a module without imports, synchronously (allowed for small modules, and
 * it keeps callers' APIs synchronous). Undefined if WebAssembly is unavailable or refuses the bytes.
 */
export function instantiateSync(bytes: Uint8Array): Record<string, unknown> | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return undefined;
  try {
    return new wasm.Instance(new wasm.Module(bytes), {}).exports;
  } catch {
    return undefined;
  }
}
