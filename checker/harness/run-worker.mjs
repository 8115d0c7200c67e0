// Runs one built lab Worker in workerd through Miniflare, for the checker.
//
// Usage: node run-worker.mjs, then JSON lines on stdin. The checker starts this program
// while it is still building the lab, so loading Miniflare overlaps the build.
//
// 1. First line: the Worker to run.
//    { "script": "/abs/index.js", "compatibilityDate": "2026-04-01",
//      "kv": ["KV"], "d1": ["DB"], "d1Fixture": "/abs/d1.sql" | null,
//      "host": "127.0.0.1", "port": 0 (0 picks a free port) }
//    Answer on stdout: {"event":"ready","url":…,"workerd":…,"miniflare":…} once serving,
//    or {"event":"error","message":…}.
// 2. Then any number of inspections of state, from outside the Worker:
//    {"id":…,"op":"d1.query","db":…,"sql":…} | {"id":…,"op":"kv.get","ns":…,"key":…}
//    | {"id":…,"op":"kv.list","ns":…} | {"id":…,"op":"kv.snapshot","ns":…}
//    | {"id":…,"op":"d1.snapshot","db":…} | {"id":…,"op":"d1.reset","db":…},
//    each answered with {"id":…,"ok":…} or {"id":…,"error":…}.
//    Snapshots hold every user table's schema and rows (D1) or every key with its value and
//    expiration (KV), so a check can prove a request changed nothing; `d1.reset` drops every
//    user table and loads the fixture again.
// 3. {"id":…,"op":"reload","script":"/abs/index.js"}: runs a newly built Worker in the same
//    Miniflare (`checker watch` keeps the runtime warm between runs), with every KV namespace
//    emptied and every D1 database back to its fixture; answered with {"url":…}.
//
// When stdin closes (the checker finished, crashed or was killed) or on SIGINT/SIGTERM,
// Miniflare is disposed, which stops workerd, and this program exits.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { Miniflare } from "miniflare";

const require = createRequire(import.meta.url);

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return "unknown";
  }
}

// Splits a fixture into statements at `;` line ends. Fixtures are course-owned and kept
// simple (no `;` inside string literals at a line end).
function statements(sql) {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}

let mf;
let config;
let stopping = false;

async function seed(db) {
  if (!config.d1Fixture) return;
  const sql = readFileSync(config.d1Fixture, "utf8");
  await db.batch(statements(sql).map((s) => db.prepare(s)));
}

// Tables and other schema objects the lab owns: SQLite's and D1's own are left out.
async function userObjects(db) {
  const { results } = await db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master " +
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY type, name",
    )
    .all();
  return results;
}

function quoted(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

// Drops every user table, view and trigger, then loads the fixture again.
async function resetD1(db) {
  const objects = await userObjects(db);
  const drops = objects
    .filter((o) => ["table", "view", "trigger"].includes(o.type))
    .sort((a, b) => (a.type === "table") - (b.type === "table"))
    .map((o) => db.prepare(`DROP ${o.type.toUpperCase()} IF EXISTS ${quoted(o.name)}`));
  // One transaction; foreign keys are checked at its end, when every table is gone.
  if (drops.length > 0) await db.batch([db.prepare("PRAGMA defer_foreign_keys = true"), ...drops]);
  await seed(db);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await mf?.dispose();
  } finally {
    process.exit(code);
  }
}

process.on("SIGINT", () => stop(130));
process.on("SIGTERM", () => stop(143));

function options() {
  return {
    modules: true,
    scriptPath: config.script,
    // Module names are paths relative to this root; the artefact may live outside the
    // working directory (CARGO_TARGET_DIR), and workerd refuses names that climb with "..".
    modulesRoot: dirname(config.script),
    // wasm-bindgen writes ES modules with a .js extension (Miniflare would assume CommonJS).
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: config.compatibilityDate,
    kvNamespaces: config.kv,
    d1Databases: config.d1,
    host: config.host ?? "127.0.0.1",
    port: config.port ?? 0,
  };
}

async function start(received) {
  config = received;
  try {
    mf = new Miniflare(options());
    const url = await mf.ready;
    if (config.d1Fixture) {
      await seed(await mf.getD1Database(config.d1[0]));
    }
    send({
      event: "ready",
      url: url.href,
      workerd: packageVersion("workerd"),
      miniflare: packageVersion("miniflare"),
    });
  } catch (error) {
    // undici hides the reason for "fetch failed" in `cause`.
    const cause = error?.cause ? ` (caused by: ${error.cause?.message ?? error.cause})` : "";
    send({ event: "error", message: String(error?.message ?? error) + cause });
    await stop(1);
  }
}

async function inspect(request) {
  switch (request.op) {
    case "d1.query": {
      const db = await mf.getD1Database(request.db);
      const { results } = await db.prepare(request.sql).all();
      return results;
    }
    case "kv.get": {
      const kv = await mf.getKVNamespace(request.ns);
      return await kv.get(request.key);
    }
    case "kv.list": {
      const kv = await mf.getKVNamespace(request.ns);
      const { keys } = await kv.list();
      return keys.map((k) => k.name);
    }
    case "kv.snapshot": {
      const kv = await mf.getKVNamespace(request.ns);
      const entries = {};
      let cursor;
      do {
        const page = await kv.list({ cursor });
        for (const key of page.keys) {
          entries[key.name] = { value: await kv.get(key.name), expiration: key.expiration ?? null };
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return entries;
    }
    case "d1.snapshot": {
      const db = await mf.getD1Database(request.db);
      const objects = await userObjects(db);
      const rows = {};
      for (const o of objects.filter((o) => o.type === "table")) {
        const { results } = await db.prepare(`SELECT * FROM ${quoted(o.name)}`).all();
        rows[o.name] = results;
      }
      return { objects, rows };
    }
    case "reload": {
      config.script = request.script;
      await mf.setOptions(options());
      const url = await mf.ready;
      for (const ns of config.kv ?? []) {
        const kv = await mf.getKVNamespace(ns);
        let cursor;
        do {
          const page = await kv.list({ cursor });
          for (const key of page.keys) await kv.delete(key.name);
          cursor = page.list_complete ? undefined : page.cursor;
        } while (cursor);
      }
      for (const name of config.d1 ?? []) await resetD1(await mf.getD1Database(name));
      return { url: url.href };
    }
    case "d1.reset": {
      await resetD1(await mf.getD1Database(request.db));
      return true;
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

// Lines are handled one at a time, in order: the first starts the Worker.
let queue = Promise.resolve();
let started = false;
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
      if (!started) {
        started = true;
        await start(request);
      } else {
        send({ id: request.id, ok: await inspect(request) });
      }
    } catch (error) {
      send({ id: request?.id ?? null, error: String(error?.message ?? error) });
    }
  });
});
lines.on("close", () => queue.then(() => stop(0)));
