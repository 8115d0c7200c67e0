// The harness's side of the protocol (checker/src/harness.rs) against the shared examples in
// protocol-examples.json: every request the checker may send names an op the harness handles,
// with the fields that op reads, and every event and reply the harness writes has the shape of
// the examples the checker reads. The checker's side is held to the same examples by the unit
// tests in harness.rs. Run: node --test checker/harness/protocol.test.mjs (checker/tests/
// harness_protocol.rs does). Needs no npm package: importing run-worker.mjs starts nothing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  OPS,
  START_FIELDS,
  errorEvent,
  errorReply,
  okReply,
  opOf,
  readyEvent,
} from "./run-worker.mjs";

const examples = JSON.parse(
  readFileSync(new URL("./protocol-examples.json", import.meta.url), "utf8"),
);
const { start, requests } = examples.checker_to_harness;
const { events, replies } = examples.harness_to_checker;

const sorted = (keys) => [...keys].sort();

test("the start example has exactly the fields the harness reads", () => {
  assert.deepEqual(sorted(Object.keys(start)), sorted(START_FIELDS));
});

test("every example request names an op the harness handles, with exactly its fields", () => {
  for (const request of requests) {
    const op = opOf(JSON.parse(JSON.stringify(request)));
    assert.deepEqual(sorted(Object.keys(request)), sorted(["id", "op", ...op.fields]), request.op);
    assert.equal(typeof request.id, "number");
  }
});

test("every op the harness handles has an example request", () => {
  assert.deepEqual(sorted(new Set(requests.map((r) => r.op))), sorted(Object.keys(OPS)));
});

test("an unknown op or a missing field is refused", () => {
  assert.throws(() => opOf({ id: 1, op: "kv.delete", ns: "KV", key: "k" }), /unknown op kv.delete/);
  assert.throws(() => opOf({ id: 1, op: "toString" }), /unknown op toString/);
  assert.throws(() => opOf({ id: 1, op: "d1.query", db: "DB" }), /d1.query without sql/);
});

test("every example event is what the harness writes", () => {
  const kinds = new Set();
  for (const event of events) {
    kinds.add(event.event);
    const written =
      event.event === "ready"
        ? readyEvent(event.url, event.workerd, event.miniflare)
        : errorEvent(event.message);
    assert.deepEqual(JSON.parse(JSON.stringify(written)), event);
  }
  assert.deepEqual(sorted(kinds), ["error", "ready"]);
});

test("every example reply is what the harness writes", () => {
  let ok = 0;
  let error = 0;
  for (const reply of replies) {
    let written;
    if (Object.hasOwn(reply, "ok")) {
      ok += 1;
      written = okReply(reply.id, reply.ok);
    } else {
      error += 1;
      // A line that is not JSON has no id: the harness answers with null.
      written = errorReply(reply.id ?? undefined, new Error(reply.error));
    }
    assert.deepEqual(JSON.parse(JSON.stringify(written)), reply);
  }
  assert.ok(ok > 0 && error > 0);
});

test("a reply to a line that is not JSON carries a null id", () => {
  let caught;
  try {
    JSON.parse("not json");
  } catch (e) {
    caught = e;
  }
  const reply = JSON.parse(JSON.stringify(errorReply(undefined, caught)));
  assert.equal(reply.id, null);
  assert.equal(typeof reply.error, "string");
});
