// libpg-query loads its WebAssembly from the file beside its own JavaScript. The single executable
// has no node_modules: its build (scripts/build-exe.mjs) embeds the .wasm as an asset and makes
// libpg-query's module factory take this argument, which hands Emscripten the embedded bytes.
import { readAsset } from '../assets.js';

/** The asset key of libpg-query's WebAssembly inside the executable (scripts/exe-assets.mjs). */
export const PARSER_WASM_ASSET = 'libpg-query.wasm';

// The few WebAssembly names used here (TypeScript's WebAssembly types come with the DOM library).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => object;
};

interface EmscriptenModuleArg {
  instantiateWasm(imports: object, receive: (instance: object) => void): object;
}

/** Emscripten's module argument that instantiates the parser from the embedded asset. */
export function parserModuleArg(): EmscriptenModuleArg {
  return {
    instantiateWasm(imports, receive) {
      const bytes = readAsset(PARSER_WASM_ASSET);
      if (!bytes) throw new Error(`this pgward build does not carry the SQL parser (${PARSER_WASM_ASSET})`);
      // Synchronous, so a failure rejects libpg-query's loadModule() instead of leaving it pending.
      receive(new WebAssembly.Instance(new WebAssembly.Module(bytes), imports));
      return {};
    },
  };
}
