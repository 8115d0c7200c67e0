// Runs one built lab Worker in workerd through Miniflare, for the checker.
//
// The protocol is documented once, in checker/src/harness.rs (its serde types). In short:
// JSON lines on stdin, answers as JSON lines on stdout. The first line is the Worker to run
// (answered {"event":"ready",…} or {"event":"error",…}); each later line is a request
// {"id":…,"op":…} for one of the OPS below (inspections of KV and D1 from outside the Worker,
// or `reload` with a new build), answered {"id":…,"ok":…} or {"id":…,"error":…}. When stdin
// closes or on SIGINT/SIGTERM, Miniflare is disposed (stopping workerd) and this program exits.
//
// Importing this module starts nothing (protocol.test.mjs checks its messages against
// protocol-examples.json); running it with node starts the harness.
import { readFileSync, realpathSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

// Loaded when the harness runs (main), not when the module is imported.
let Miniflare;

// The fields of the first line, the Worker to run.
export const START_FIELDS = [
  "script",
  "compatibilityDate",
  "kv",
  "d1",
  "d1Fixture",
  "host",
  "port",
];

// The messages the harness writes.
export const readyEvent = (url, workerd, miniflare) => ({
  event: "ready",
  url,
  workerd,
  miniflare,
});
export const errorEvent = (message) => ({ event: "error", message });
export const okReply = (id, ok) => ({ id, ok });
export const errorReply = (id, error) => ({
  id: id ?? null,
  error: String(error?.message ?? error),
});

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

// Throws when `message` lacks one of `fields`.
function requireFields(message, fields, what) {
  const missing = fields.filter((field) => message?.[field] === undefined);
  if (missing.length > 0) throw new Error(`${what} without ${missing.join(", ")}`);
}

async function start(received) {
  config = received;
  try {
    requireFields(config, START_FIELDS, "the start line");
    mf = new Miniflare(options());
    const url = await mf.ready;
    if (config.d1Fixture) {
      await seed(await mf.getD1Database(config.d1[0]));
    }
    send(readyEvent(url.href, packageVersion("workerd"), packageVersion("miniflare")));
  } catch (error) {
    // undici hides the reason for "fetch failed" in `cause`.
    const cause = error?.cause ? ` (caused by: ${error.cause?.message ?? error.cause})` : "";
    send(errorEvent(String(error?.message ?? error) + cause));
    await stop(1);
  }
}

// Every op a request may name: the fields it reads besides `id` and `op`, and what it does.
// `ok` of the reply is what `run` returns.
export const OPS = {
  "d1.query": {
    fields: ["db", "sql"],
    async run(request) {
      const db = await mf.getD1Database(request.db);
      const { results } = await db.prepare(request.sql).all();
      return results;
    },
  },
  "kv.get": {
    fields: ["ns", "key"],
    async run(request) {
      const kv = await mf.getKVNamespace(request.ns);
      return await kv.get(request.key);
    },
  },
  "kv.list": {
    fields: ["ns"],
    async run(request) {
      const kv = await mf.getKVNamespace(request.ns);
      const { keys } = await kv.list();
      return keys.map((k) => k.name);
    },
  },
  "kv.snapshot": {
    fields: ["ns"],
    async run(request) {
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
    },
  },
  "d1.snapshot": {
    fields: ["db"],
    async run(request) {
      const db = await mf.getD1Database(request.db);
      const objects = await userObjects(db);
      const rows = {};
      for (const o of objects.filter((o) => o.type === "table")) {
        const { results } = await db.prepare(`SELECT * FROM ${quoted(o.name)}`).all();
        rows[o.name] = results;
      }
      return { objects, rows };
    },
  },
  reload: {
    fields: ["script"],
    async run(request) {
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
    },
  },
  "d1.reset": {
    fields: ["db"],
    async run(request) {
      await resetD1(await mf.getD1Database(request.db));
      return true;
    },
  },
};

// The op a request (a line after the first, parsed) names, once it names a known op with the
// fields that op reads; throws otherwise.
export function opOf(request) {
  if (typeof request?.op !== "string" || !Object.hasOwn(OPS, request.op)) {
    throw new Error(`unknown op ${request?.op}`);
  }
  const op = OPS[request.op];
  requireFields(request, op.fields, request.op);
  return op;
}

async function main() {
  ({ Miniflare } = await import("miniflare"));
  process.on("SIGINT", () => stop(130));
  process.on("SIGTERM", () => stop(143));
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
          send(okReply(request.id, await opOf(request).run(request)));
        }
      } catch (error) {
        send(errorReply(request?.id, error));
      }
    });
  });
  lines.on("close", () => queue.then(() => stop(0)));
}

// Run as a program (node resolves the main module's links, hence realpath), not imported.
const here = realpathSync(fileURLToPath(import.meta.url));
if (process.argv[1] && realpathSync(process.argv[1]) === here) {
  await main();
}
