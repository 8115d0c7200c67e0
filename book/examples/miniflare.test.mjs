// Runs the book's examples in workerd through Miniflare, as the checker runs a lab.
// `book/examples/test.sh` builds the Worker first and sets BOOK_EXAMPLES_DIR.
// ANCHOR: miniflare
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";

let mf;

before(async () => {
  mf = new Miniflare({
    modules: true,
    scriptPath: `${process.env.BOOK_EXAMPLES_DIR}/index.mjs`,
    modulesRoot: process.env.BOOK_EXAMPLES_DIR,
    // wasm-bindgen's glue is an ES module; the .wasm is compiled once, at start-up.
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
  });
  await mf.ready;
});

after(() => mf.dispose());

test("joined delays overlap", async () => {
  const { elapsed_ms } = await (await mf.dispatchFetch("http://localhost/join")).json();
  // One after another would take 300 ms.
  assert.ok(elapsed_ms >= 100 && elapsed_ms < 250, `${elapsed_ms} ms`);
});
// ANCHOR_END: miniflare

test("the deadline wins against slow work and loses against fast work", async () => {
  const reply = await (await mf.dispatchFetch("http://localhost/timeout")).json();
  assert.deepEqual(reply, { fast: "done", slow: "timed out after 20 ms" });
});

test("a streamed body arrives whole", async () => {
  const response = await mf.dispatchFetch("http://localhost/rows");
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  const lines = (await response.text()).trim().split("\n");
  assert.equal(lines.length, 1000);
  assert.deepEqual(JSON.parse(lines[999]), { n: 999 });
});

test("request ids come from crypto.getRandomValues", async () => {
  const a = (await (await mf.dispatchFetch("http://localhost/id")).json()).id;
  const b = (await (await mf.dispatchFetch("http://localhost/id")).json()).id;
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
});
