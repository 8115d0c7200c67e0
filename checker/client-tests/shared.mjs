// What both real-client test files share: the endpoint, the recording of the wire, reading a
// tool's structured result, and the tool calls every client must be able to make, whatever
// its SDK generation and revision. Not a test file itself (vitest runs `*.test.mjs`).
import { expect, it } from "vitest";

export const MCP_URL = process.env.MCP_URL;
if (!MCP_URL) {
  throw new Error(
    "MCP_URL is not set: start `cargo lab serve lab-4 --solution` and set MCP_URL=http://127.0.0.1:8787/mcp",
  );
}

export const TOOLS = ["get_value", "list_keys", "query_data", "store_value"];

/** A fetch that records what went over the wire, for assertions on the exchange itself; the
 * replies to the handshakes (`initialize`, `server/discover`) are kept too. */
export function recordingFetch(log) {
  return async (url, init = {}) => {
    const entry = {
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    const response = await fetch(url, init);
    entry.status = response.status;
    if (["initialize", "server/discover"].includes(entry.body?.method)) {
      entry.reply = parseReply(await response.clone().text());
    }
    log.push(entry);
    return response;
  };
}

/** A JSON-RPC reply sent as application/json or as one SSE event. */
export function parseReply(text) {
  try {
    return JSON.parse(text);
  } catch {
    const data = text
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .join("\n");
    return JSON.parse(data);
  }
}

/** The structured result of a tool call: `structuredContent` when the revision has it, else the JSON text. */
export function structured(result, hasStructuredOutput) {
  expect(result.content).toEqual([expect.objectContaining({ type: "text" })]);
  const fromText = JSON.parse(result.content[0].text);
  if (hasStructuredOutput) {
    expect(result.structuredContent).toEqual(fromText);
  } else {
    expect(result.structuredContent).toBeUndefined();
  }
  return fromText;
}

/**
 * The tests of the four tools, registered in the calling `describe`: the list, a query, a
 * round trip through KV, and bad arguments. `connected()` returns the client its `beforeAll`
 * connected; `keyPrefix` keeps each run's KV keys apart.
 */
export function toolTests(connected, { version, keyPrefix }) {
  // outputSchema and structuredContent exist from 2025-06-18 on.
  const hasStructuredOutput = version >= "2025-06-18";
  it("lists the four tools, each with an input schema", async () => {
    const { tools } = await connected().listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.inputSchema, tool.name).toMatchObject({ type: "object" });
      expect(typeof tool.description, tool.name).toBe("string");
      if (hasStructuredOutput) {
        expect(tool.outputSchema, tool.name).toMatchObject({ type: "object" });
      } else {
        expect(tool.outputSchema, `${tool.name} has no outputSchema before 2025-06-18`).toBeUndefined();
      }
    }
    const query = tools.find((t) => t.name === "query_data");
    expect(query.inputSchema.required).toEqual(["sql"]);
    expect(Object.keys(query.inputSchema.properties).sort()).toEqual(["params", "sql"]);
  });

  it("query_data runs a parameterised SELECT", async () => {
    const result = await connected().callTool({
      name: "query_data",
      arguments: {
        sql: "SELECT name, price_cents FROM products WHERE category = ?",
        params: ["kitchen"],
      },
    });
    expect(result.isError).toBeFalsy();
    const { rows, truncated } = structured(result, hasStructuredOutput);
    expect(truncated).toBe(false);
    expect(rows).toEqual(
      expect.arrayContaining([
        { name: "Trail mug", price_cents: 1450 },
        { name: "Enamel plate", price_cents: 990 },
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it("store_value, get_value and list_keys round-trip a value through KV", async () => {
    const prefix = `${keyPrefix}/${version}/${process.pid}-${Date.now()}/`;
    const key = `${prefix}note`;
    const value = `stored over ${version} ✓`;

    const stored = await connected().callTool({ name: "store_value", arguments: { key, value } });
    expect(stored.isError).toBeFalsy();
    expect(structured(stored, hasStructuredOutput)).toMatchObject({ key, stored: true });

    const got = await connected().callTool({ name: "get_value", arguments: { key } });
    expect(got.isError).toBeFalsy();
    expect(structured(got, hasStructuredOutput)).toEqual({ key, found: true, value });

    const listed = await connected().callTool({ name: "list_keys", arguments: { prefix } });
    expect(listed.isError).toBeFalsy();
    expect(structured(listed, hasStructuredOutput).keys).toEqual([key]);

    const missing = await connected().callTool({ name: "get_value", arguments: { key: `${prefix}absent` } });
    expect(missing.isError).toBeFalsy();
    expect(structured(missing, hasStructuredOutput)).toMatchObject({ found: false, value: null });
  });

  it("bad arguments come back as a tool result with isError, which the model can read", async () => {
    const noSql = await connected().callTool({ name: "query_data", arguments: {} });
    expect(noSql.isError).toBe(true);
    expect(noSql.content[0].text).toContain("`sql` is required");

    const numericKey = await connected().callTool({ name: "store_value", arguments: { key: 42, value: "x" } });
    expect(numericKey.isError).toBe(true);
    expect(numericKey.content[0].text).toContain("`key` must be a string");

    const write = await connected().callTool({
      name: "query_data",
      arguments: { sql: "DELETE FROM products" },
    });
    expect(write.isError, "query_data refuses a write").toBe(true);
  });
}
