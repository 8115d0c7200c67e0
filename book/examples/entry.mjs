// ANCHOR: entry
// The smallest entry module for a Rust Worker bound with `wasm-bindgen --target web`:
// compile the module once per isolate, then hand every request to `#[event(fetch)]`.
import wasm from "./book_examples_bg.wasm";
import * as glue from "./book_examples.js";

glue.initSync({ module: wasm });

export default {
  fetch: (request, env, ctx) => glue.fetch(request, env, ctx),
};
// ANCHOR_END: entry
