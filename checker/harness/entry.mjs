// Worker entry module owned by the checker (copied next to the wasm-bindgen output as
// `index.js`). It does what worker-build's shim does for a fetch-only worker, in a form the
// checker controls: instantiate the module once per isolate, hand each request to the
// crate's `#[event(fetch)]` export, and after a trap (a Rust panic under panic = "abort")
// re-create the instance so the next request meets a fresh one, as in production.
import wasmModule from "./glue_bg.wasm";
import * as glue from "./glue.js";

glue.initSync({ module: wasmModule });

let trapped = false;

export default {
  async fetch(request, env, ctx) {
    if (trapped) {
      glue.__wbg_reset_state();
      trapped = false;
    }
    try {
      return await glue.fetch(request, env, ctx);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        trapped = true;
      }
      throw error;
    }
  },
};
