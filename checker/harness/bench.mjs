// `cargo lab bench`'s runner: the lab's Worker, the course's TypeScript reference and a
// constant-answer floor, each in a workerd of its own started by the same Miniflare, measured
// in the same run. The checker writes the configuration as JSON (argv[2]) and reads one JSON
// object from standard output; progress goes to standard error.
//
// What it measures, per server:
// - cold start: from `new Miniflare(…)` to the first reply to `tools/list` of a fresh runtime
//   (median of three);
// - for `tools/list` and `tools/call get_value`: requests per second with 1 and with 8
//   clients in flight, and workerd's CPU time per request (utime + stime of the workerd
//   process from /proc, over `requests` sequential requests; Linux only, else null).
// - the floor, per method: the same CPU figure for a JavaScript Worker that reads the body
//   and answers a constant, after the same KV read for `get_value`. In Miniflare KV runs
//   inside workerd, so its work shows in workerd's CPU; deployed, it is a separate service
//   and not the Worker's CPU time. The floor takes it out of both servers' figures alike.
// The checker subtracts the floor's CPU per request and computes the ratios (src/bench.rs).
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import { Miniflare } from "miniflare";

const config = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const version = (name) => require(`${name}/package.json`).version;
const progress = (line) => process.stderr.write(`${line}\n`);

const FLOOR = `export default { async fetch(request, env) {
  if ((await request.text()).includes('"get_value"')) await env[${JSON.stringify(config.kv[0])}].get("bench");
  return new Response('{"jsonrpc":"2.0","id":1,"result":{}}', { headers: { "content-type": "application/json" } });
} }`;

function options(server) {
  const common = {
    modules: true,
    compatibilityDate: config.compatibilityDate,
    kvNamespaces: config.kv,
    d1Databases: config.d1,
    host: "127.0.0.1",
    port: 0,
  };
  if (server === "floor") return { ...common, script: FLOOR };
  if (server === "ts") return { ...common, scriptPath: config.ts, compatibilityFlags: ["nodejs_compat"] };
  return {
    ...common,
    scriptPath: config.rust,
    modulesRoot: dirname(config.rust),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
  };
}

// The workerd process a Miniflare started: the child of this process that was not there before.
function children() {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

// CPU time of a process in milliseconds, or null where /proc is not there (macOS).
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1000 / config.clockTicks);
  } catch {
    return null;
  }
}

// Every runtime started and not yet disposed: on a failure, all of them are stopped before
// this process exits, so no workerd outlives the bench.
const live = new Set();

async function start(server) {
  const before = new Set(children());
  const mf = new Miniflare(options(server));
  live.add(mf);
  const dispose = mf.dispose.bind(mf);
  mf.dispose = async () => {
    live.delete(mf);
    await dispose();
  };
  const url = await mf.ready;
  const pid = children().find((p) => !before.has(p)) ?? null;
  return { mf, endpoint: new URL("/mcp", url).href, pid };
}

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};
const REQUESTS = {
  "tools/list": { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} },
  get_value: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_value", arguments: { key: "bench" } } },
};

async function send(endpoint, name) {
  const reply = await fetch(endpoint, { method: "POST", headers: HEADERS, body: JSON.stringify(REQUESTS[name]) });
  const text = await reply.text();
  if (reply.status !== 200) throw new Error(`${name}: HTTP ${reply.status} ${text.slice(0, 200)}`);
  return text;
}

async function coldStart(server) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const { mf, endpoint } = await start(server);
    await send(endpoint, "tools/list");
    runs.push(performance.now() - t0);
    await mf.dispose();
  }
  runs.sort((a, b) => a - b);
  return Math.round(runs[1]);
}

async function throughput(endpoint, name, clients) {
  const deadline = performance.now() + config.seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        await send(endpoint, name);
        done++;
      }
    }),
  );
  return Math.round(done / ((performance.now() - t0) / 1000));
}

// What a reply says, reduced to what both servers must agree on for their figures to measure
// the same work: the names `tools/list` lists, the fields `get_value`'s text carries (a server
// that answers without reading KV is not doing what the floor subtracts). null if unreadable.
function essence(name, text) {
  try {
    // The SDK may frame its one reply as a server-sent event: `data: {…}`.
    const data = text.split("\n").filter((line) => line.startsWith("data: "));
    const message = data.length ? data.map((line) => line.slice(6)).join("\n") : text;
    const result = JSON.parse(message).result;
    if (name === "tools/list") return JSON.stringify(result.tools.map((tool) => tool.name).sort());
    const fields = JSON.parse(result.content[0].text);
    return JSON.stringify(Object.keys(fields).sort().map((key) => [key, fields[key]]));
  } catch {
    return null;
  }
}

async function cpuPerRequest(running, name) {
  const before = cpuMs(running.pid);
  if (before === null) return null;
  for (let i = 0; i < config.requests; i++) await send(running.endpoint, name);
  return (cpuMs(running.pid) - before) / config.requests;
}

async function measure(server, methods) {
  const running = await start(server);
  try {
    const out = {};
    for (const name of methods) {
      progress(`  ${server}: ${name}`);
      for (let i = 0; i < 99; i++) await send(running.endpoint, name); // warm-up
      const reply = essence(name, await send(running.endpoint, name));
      out[name] = {
        reply,
        cpu_ms_per_request: await cpuPerRequest(running, name),
        requests_per_second: {
          1: await throughput(running.endpoint, name, 1),
          8: await throughput(running.endpoint, name, 8),
        },
      };
    }
    return out;
  } finally {
    await running.mf.dispose();
  }
}

try {
  const result = { workerd: version("workerd"), miniflare: version("miniflare"), servers: {} };
  for (const server of ["rust", "ts"]) {
    progress(`  ${server}: cold start`);
    result.servers[server] = { cold_start_ms: await coldStart(server) };
  }
  for (const server of ["rust", "ts"]) {
    result.servers[server].methods = await measure(server, Object.keys(REQUESTS));
  }
  progress("  floor: a constant answer (after the same KV read for get_value)");
  const floor = await start("floor");
  try {
    result.floor_cpu_ms_per_request = {};
    for (const name of Object.keys(REQUESTS)) {
      for (let i = 0; i < 100; i++) await send(floor.endpoint, name); // warm-up
      result.floor_cpu_ms_per_request[name] = await cpuPerRequest(floor, name);
    }
  } finally {
    await floor.mf.dispose();
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} catch (error) {
  const cause = error?.cause ? ` (caused by: ${error.cause?.message ?? error.cause})` : "";
  process.stderr.write(`bench failed: ${error?.stack ?? error}${cause}\n`);
  await Promise.allSettled([...live].map((mf) => mf.dispose()));
  process.exit(1);
}
