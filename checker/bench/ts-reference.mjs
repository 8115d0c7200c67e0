// The course's TypeScript reference for `cargo lab bench`: lab 4's four tools on the official
// MCP TypeScript SDK v2 (@modelcontextprotocol/server, pinned in package.json), served the
// way its documentation shows for Workers (`createMcpHandler`, `export default { fetch }`),
// answering JSON rather than SSE like the Rust server. The checker bundles it with the pinned
// esbuild (--minify) and runs it in the same Miniflare as the Rust lab. It is a yardstick, not
// a graded server: its replies carry the same data, not byte-identical text.
import { McpServer, createMcpHandler } from "@modelcontextprotocol/server";
import { z } from "zod";

let env;

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: "ts-reference", version: "1.0.0" });
    server.registerTool(
      "store_value",
      {
        description: "Store a string value under a key in KV, optionally expiring.",
        inputSchema: z.object({
          key: z.string().min(1).max(512),
          value: z.string().max(65536),
          ttl_seconds: z.number().int().min(60).optional(),
        }),
      },
      async ({ key, value, ttl_seconds }) => {
        await env.KV.put(key, value, ttl_seconds ? { expirationTtl: ttl_seconds } : undefined);
        return { content: [{ type: "text", text: JSON.stringify({ stored: true, key }) }] };
      },
    );
    server.registerTool(
      "get_value",
      {
        description: "Read the value stored under a key in KV.",
        inputSchema: z.object({ key: z.string().min(1).max(512) }),
      },
      async ({ key }) => {
        const value = await env.KV.get(key);
        return { content: [{ type: "text", text: JSON.stringify({ found: value !== null, key, value }) }] };
      },
    );
    server.registerTool(
      "list_keys",
      {
        description: "List the keys in KV, optionally those with a prefix.",
        inputSchema: z.object({ prefix: z.string().max(512).optional() }),
      },
      async ({ prefix }) => {
        const list = await env.KV.list(prefix ? { prefix } : undefined);
        return { content: [{ type: "text", text: JSON.stringify({ keys: list.keys.map((k) => k.name) }) }] };
      },
    );
    server.registerTool(
      "query_data",
      {
        description: "Run one read-only SQL query against D1, with ? parameters bound.",
        inputSchema: z.object({
          sql: z.string().min(1).max(10000),
          params: z.array(z.union([z.string(), z.number(), z.null()])).optional(),
        }),
      },
      async ({ sql, params }) => {
        const { results } = await env.DB.prepare(`SELECT * FROM (${sql}) LIMIT 101`)
          .bind(...(params ?? []))
          .all();
        const rows = results.slice(0, 100);
        return { content: [{ type: "text", text: JSON.stringify({ rows, truncated: results.length > 100 }) }] };
      },
    );
    return server;
  },
  { responseMode: "json" },
);

export default {
  fetch(request, bindings) {
    env = bindings;
    return handler.fetch(request);
  },
};
