// The official MCP TypeScript SDK as a real client of the lab-4 server, over Streamable HTTP:
// the handshake at the SDK's newest revision and at older revisions, the tool list, and a
// call of every tool, read the way an MCP host would read them. This is the first SDK
// generation (@modelcontextprotocol/sdk 1.x), which knows only the initialize era;
// real-client-v2.test.mjs runs the same calls with the second (@modelcontextprotocol/client 2.x),
// at 2026-07-28 as well.
//
// MCP_URL names the endpoint, e.g. http://127.0.0.1:8787/mcp (`cargo lab serve lab-4 --solution`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";

const MCP_URL = process.env.MCP_URL;
if (!MCP_URL) {
  throw new Error(
    "MCP_URL is not set: start `cargo lab serve lab-4 --solution` and set MCP_URL=http://127.0.0.1:8787/mcp",
  );
}

const TOOLS = ["get_value", "list_keys", "query_data", "store_value"];

/**
 * A Streamable HTTP transport whose `initialize` request offers `offer` instead of the SDK's
 * newest revision.
 *
 * SDK 1.x has no public option for this: `Client.connect()` always offers
 * LATEST_PROTOCOL_VERSION (`supportedProtocolVersions` arrived with SDK v2). The Transport
 * interface is the SDK's public extension point, so the offer is rewritten there, on the way
 * out, and everything after it is the SDK's own code: it checks the server's answer against
 * the revisions it knows, and `setProtocolVersion()` records that answer on the transport,
 * which then sends it as the MCP-Protocol-Version header of every later request.
 */
class OfferingTransport extends StreamableHTTPClientTransport {
  #offer;

  constructor(url, offer, options) {
    super(url, options);
    this.#offer = offer;
  }

  async send(message, options) {
    if (message.method === "initialize") {
      message = { ...message, params: { ...message.params, protocolVersion: this.#offer } };
    }
    return super.send(message, options);
  }
}

/** A fetch that records what went over the wire, for assertions on the exchange itself. */
function recordingFetch(log) {
  return async (url, init = {}) => {
    const entry = {
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    const response = await fetch(url, init);
    entry.status = response.status;
    if (entry.body?.method === "initialize") {
      entry.reply = parseReply(await response.clone().text());
    }
    log.push(entry);
    return response;
  };
}

/** A JSON-RPC reply sent as application/json or as one SSE event. */
function parseReply(text) {
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
function structured(result, hasStructuredOutput) {
  expect(result.content).toEqual([expect.objectContaining({ type: "text" })]);
  const fromText = JSON.parse(result.content[0].text);
  if (hasStructuredOutput) {
    expect(result.structuredContent).toEqual(fromText);
  } else {
    expect(result.structuredContent).toBeUndefined();
  }
  return fromText;
}

const REVISIONS = [
  // The SDK's own handshake, untouched.
  { label: `${LATEST_PROTOCOL_VERSION} (SDK default)`, offer: undefined },
  { label: "2025-03-26 (pinned)", offer: "2025-03-26" },
  { label: "2024-11-05 (pinned)", offer: "2024-11-05" },
];

describe.each(REVISIONS.map(({ label, offer }) => [label, offer]))("official MCP client at %s", (_label, offer) => {
  const version = offer ?? LATEST_PROTOCOL_VERSION;
  // outputSchema and structuredContent exist from 2025-06-18 on.
  const hasStructuredOutput = version >= "2025-06-18";
  const wire = [];
  let client;
  let transport;

  beforeAll(async () => {
    const options = { fetch: recordingFetch(wire) };
    transport = offer
      ? new OfferingTransport(new URL(MCP_URL), offer, options)
      : new StreamableHTTPClientTransport(new URL(MCP_URL), options);
    client = new Client({ name: "checker-real-client-test", version: "1.0.0" });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it("negotiates the revision it offered", () => {
    const init = wire.find((e) => e.body?.method === "initialize");
    expect(init, "an initialize request went out").toBeDefined();
    expect(init.body.params.protocolVersion).toBe(version);
    expect(init.status).toBe(200);
    // What the server answered, on the wire and as the SDK recorded it.
    expect(init.reply.result.protocolVersion).toBe(version);
    expect(transport.protocolVersion).toBe(version);
    expect(client.getServerVersion()).toMatchObject({ name: "lab-4-full-server" });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {} });
    // Every request after the handshake names the negotiated revision in its header.
    const later = wire.filter((e) => e.method === "POST" && e.body?.method !== "initialize");
    expect(later.length).toBeGreaterThan(0);
    for (const e of later) {
      expect(e.headers.get("mcp-protocol-version")).toBe(version);
      expect(e.status).toBeLessThan(300);
    }
  });

  it("lists the four tools, each with an input schema", async () => {
    const { tools } = await client.listTools();
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
    const result = await client.callTool({
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
    const prefix = `real-client/${version}/${process.pid}-${Date.now()}/`;
    const key = `${prefix}note`;
    const value = `stored over ${version} ✓`;

    const stored = await client.callTool({ name: "store_value", arguments: { key, value } });
    expect(stored.isError).toBeFalsy();
    expect(structured(stored, hasStructuredOutput)).toMatchObject({ key, stored: true });

    const got = await client.callTool({ name: "get_value", arguments: { key } });
    expect(got.isError).toBeFalsy();
    expect(structured(got, hasStructuredOutput)).toEqual({ key, found: true, value });

    const listed = await client.callTool({ name: "list_keys", arguments: { prefix } });
    expect(listed.isError).toBeFalsy();
    expect(structured(listed, hasStructuredOutput).keys).toEqual([key]);

    const missing = await client.callTool({ name: "get_value", arguments: { key: `${prefix}absent` } });
    expect(missing.isError).toBeFalsy();
    expect(structured(missing, hasStructuredOutput)).toMatchObject({ found: false, value: null });
  });

  it("bad arguments come back as a tool result with isError, which the model can read", async () => {
    const noSql = await client.callTool({ name: "query_data", arguments: {} });
    expect(noSql.isError).toBe(true);
    expect(noSql.content[0].text).toContain("`sql` is required");

    const numericKey = await client.callTool({ name: "store_value", arguments: { key: 42, value: "x" } });
    expect(numericKey.isError).toBe(true);
    expect(numericKey.content[0].text).toContain("`key` must be a string");

    const write = await client.callTool({
      name: "query_data",
      arguments: { sql: "DELETE FROM products" },
    });
    expect(write.isError, "query_data refuses a write").toBe(true);
  });

  it("an unknown tool is a JSON-RPC error (-32602), which the SDK raises as McpError", async () => {
    const call = client.callTool({ name: "no_such_tool", arguments: {} });
    await expect(call).rejects.toBeInstanceOf(McpError);
    await expect(call).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    await expect(call).rejects.toThrow(/unknown tool: no_such_tool/);
  });
});
