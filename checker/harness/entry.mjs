// Worker entry module owned by the checker (copied next to the wasm-bindgen output as
// `entry.mjs`). It does what worker-build's shim does for a fetch-only worker, in a form the
// checker controls: instantiate the module once per isolate, hand each request to the
// crate's `#[event(fetch)]` export, and after a trap (a Rust panic under panic = "abort")
// re-create the instance so the next request meets a fresh one, as in production.
//
// It also lets the checker read linear memory, which the lab's own code cannot fake:
// - every response carries `x-course-wasm-memory` (bytes of linear memory, read from the
//   JavaScript side), `x-course-wasm-pages` (64 KiB pages as the instance itself reports
//   them through the course-probe crate, when the lab links it) and `x-course-heap-live`
//   (heap bytes allocated and not freed, counted by the probe's allocator when the checker
//   built it in; empty otherwise);
// - `GET /__course/memory` answers the same readings as JSON;
// - `POST /__course/reset` re-creates the instance (a fresh isolate, as after a deploy).
// These paths never reach the lab's code.
import wasmModule from "./index_bg.wasm";
import * as glue from "./index.js";

glue.initSync({ module: wasmModule });
let trapped = false;

// The live instance's exports: after a reset wasm-bindgen swaps the instance, and initSync
// hands back whichever one is current.
function live() {
  return glue.initSync({ module: wasmModule });
}

// ANCHOR: readings
function readings() {
  const bytes = live().memory.buffer.byteLength;
  return {
    bytes,
    pages: probe("__course_memory_pages"),
    heap_live: probe("__course_heap_live"),
  };
}

// A reading through a probe export, or null when the module has none (the lab does not link
// the probe, or was built without the heap meter) or it fails.
function probe(name) {
  if (typeof glue[name] !== "function") {
    return null;
  }
  try {
    return glue[name]();
  } catch {
    return null;
  }
}
// ANCHOR_END: readings

function reset() {
  glue.__wbg_reset_state();
  trapped = false;
}

function withReadings(response) {
  const { bytes, pages, heap_live } = readings();
  const tagged = new Response(response.body, response);
  tagged.headers.set("x-course-wasm-memory", String(bytes));
  // Only the readings this lab has: a header with no value tells a student nothing.
  if (pages !== null) tagged.headers.set("x-course-wasm-pages", String(pages));
  if (heap_live !== null) tagged.headers.set("x-course-heap-live", String(heap_live));
  return tagged;
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__course/memory") {
      return Response.json(readings());
    }
    if (path === "/__course/reset") {
      reset();
      return Response.json(readings());
    }
    // ANCHOR: trap
    if (trapped) {
      reset();
    }
    try {
      return withReadings(await glue.fetch(request, env, ctx));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        trapped = true;
      }
      throw error;
    }
    // ANCHOR_END: trap
  },
};
