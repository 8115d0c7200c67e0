// The official MCP TypeScript SDK, second generation (@modelcontextprotocol/client 2.x), as a
// real client of the lab-4 server over Streamable HTTP. real-client.test.mjs does the same with
// the first generation (@modelcontextprotocol/sdk 1.x), which knows only the initialize era;
// this one also speaks 2026-07-28, the stateless revision (server/discover, no initialize,
// per-request `_meta`, Mcp-Method/Mcp-Name headers). Three ways of connecting, each configured
// through the client's `versionNegotiation` option (ClientOptions in the package's .d.mts):
//
// - `{ mode: 'auto' }`: probe with server/discover, fall back to initialize only if the server
//   gives no modern answer. The lab-4 server answers, so this is 2026-07-28.
// - `{ mode: { pin: '2026-07-28' } }`: modern only, no fallback.
// - no option at all: the client's default, `'legacy'`, the plain initialize handshake at the
//   SDK's newest initialize-era revision (2025-11-25), byte-identical to a 2025 client.
//
// In each: which revision was negotiated (as the client reports it and as it went over the
// wire), the tool list, and a call of every tool.
//
// MCP_URL names the endpoint, e.g. http://127.0.0.1:8787/mcp (`cargo lab serve lab-4 --solution`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  Client,
  LATEST_PROTOCOL_VERSION,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";

const MCP_URL = process.env.MCP_URL;
if (!MCP_URL) {
  throw new Error(
    "MCP_URL is not set: start `cargo lab serve lab-4 --solution` and set MCP_URL=http://127.0.0.1:8787/mcp",
  );
}

const TOOLS = ["get_value", "list_keys", "query_data", "store_value"];
const MODERN = "2026-07-28";
const CLIENT_INFO = { name: "checker-real-client-test-v2", version: "2.0.0" };

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
    if (["initialize", "server/discover"].includes(entry.body?.method)) {
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

/** A header value as the spec encodes it: plain, or `=?base64?{base64 of UTF-8}?=`. */
function decodeHeaderValue(value) {
  const sentinel = /^=\?base64\?(.*)\?=$/.exec(value ?? "");
  return sentinel ? Buffer.from(sentinel[1], "base64").toString("utf8") : value;
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

const MODES = [
  {
    id: "auto",
    label: "automatic negotiation ({ mode: 'auto' })",
    options: { versionNegotiation: { mode: "auto" } },
    version: MODERN,
    era: "modern",
  },
  {
    id: "pin",
    label: `pinned to ${MODERN} ({ mode: { pin: '${MODERN}' } })`,
    options: { versionNegotiation: { mode: { pin: MODERN } } },
    version: MODERN,
    era: "modern",
  },
  {
    id: "legacy",
    label: `legacy, the client's default (initialize at ${LATEST_PROTOCOL_VERSION})`,
    options: undefined,
    version: LATEST_PROTOCOL_VERSION,
    era: "legacy",
  },
];

describe.each(MODES.map((mode) => [mode.label, mode]))("official MCP client v2, %s", (_label, mode) => {
  const { version, era } = mode;
  const modern = era === "modern";
  // outputSchema and structuredContent exist from 2025-06-18 on.
  const hasStructuredOutput = version >= "2025-06-18";
  const wire = [];
  let client;

  beforeAll(async () => {
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { fetch: recordingFetch(wire) });
    client = new Client(CLIENT_INFO, mode.options);
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it(`negotiates ${version} (${era} era)`, () => {
    expect(client.getNegotiatedProtocolVersion()).toBe(version);
    expect(client.getProtocolEra()).toBe(era);
    expect(client.getServerVersion()).toMatchObject({ name: "lab-4-full-server" });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {} });
    const methods = wire.map((e) => e.body?.method);
    if (modern) {
      // One request, the server/discover probe; no initialize, no session, no GET stream.
      expect(methods).toEqual(["server/discover"]);
      const [discover] = wire;
      expect(discover.method).toBe("POST");
      expect(discover.status).toBe(200);
      expect(discover.headers.get("mcp-protocol-version")).toBe(MODERN);
      expect(discover.headers.get("mcp-method")).toBe("server/discover");
      expect(discover.headers.get("mcp-session-id")).toBeNull();
      expect(discover.body.params._meta).toMatchObject({
        [PROTOCOL_VERSION_META_KEY]: MODERN,
        [CLIENT_INFO_META_KEY]: CLIENT_INFO,
        [CLIENT_CAPABILITIES_META_KEY]: expect.any(Object),
      });
      // What the server answered, on the wire and as the SDK recorded it.
      expect(discover.reply.result.supportedVersions).toContain(MODERN);
      expect(client.getDiscoverResult().supportedVersions).toContain(MODERN);
    } else {
      expect(methods).not.toContain("server/discover");
      const init = wire.find((e) => e.body?.method === "initialize");
      expect(init, "an initialize request went out").toBeDefined();
      expect(init.body.params.protocolVersion).toBe(version);
      expect(init.status).toBe(200);
      expect(init.reply.result.protocolVersion).toBe(version);
      expect(client.getDiscoverResult()).toBeUndefined();
      // Every POST after the handshake names the negotiated revision in its header.
      const later = wire.filter((e) => e.method === "POST" && e.body?.method !== "initialize");
      expect(later.map((e) => e.body?.method)).toContain("notifications/initialized");
      for (const e of later) {
        expect(e.headers.get("mcp-protocol-version")).toBe(version);
        expect(e.status).toBeLessThan(300);
      }
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
    const prefix = `real-client-v2/${mode.id}/${version}/${process.pid}-${Date.now()}/`;
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

  it("an unknown tool is a JSON-RPC error (-32602), which the SDK raises as ProtocolError", async () => {
    const call = client.callTool({ name: "no_such_tool", arguments: {} });
    await expect(call).rejects.toBeInstanceOf(ProtocolError);
    await expect(call).rejects.toMatchObject({ code: ProtocolErrorCode.InvalidParams });
    await expect(call).rejects.toThrow(/unknown tool: no_such_tool/);
  });

  // On 2026-07-28 the client mirrors params.name in the Mcp-Name header, Base64-encoded as
  // `=?base64?…?=` when the name is not plain ASCII; the server decodes it before comparing.
  it("an unknown tool with a non-ASCII name is -32602 too (Mcp-Name sent as =?base64?…?= on 2026-07-28)", async () => {
    const name = "nø_such_tool";
    const error = await client.callTool({ name, arguments: {} }).then(
      () => undefined,
      (e) => e,
    );
    const sent = wire.findLast((e) => e.body?.params?.name === name);
    expect(sent.headers.get("mcp-name")).toBe(
      modern ? `=?base64?${Buffer.from(name).toString("base64")}?=` : null,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: ProtocolErrorCode.InvalidParams });
    expect(error.message).toMatch(/unknown tool: nø_such_tool/);
  });

  // Runs after the tool calls above (the tests of a file run in order) and reads their requests.
  it(
    modern
      ? `every ${MODERN} request carried MCP-Protocol-Version, Mcp-Method, Mcp-Name (tools/call) and params._meta`
      : `every request after initialize carried MCP-Protocol-Version ${version}, and nothing of ${MODERN}`,
    () => {
      const requests = wire.filter((e) => e.body?.id !== undefined);
      const methods = new Set(requests.map((e) => e.body.method));
      expect([...methods].sort()).toEqual(
        modern ? ["server/discover", "tools/call", "tools/list"] : ["initialize", "tools/call", "tools/list"],
      );
      for (const e of requests) {
        const what = `${e.body.method} ${e.body.params?.name ?? ""}`;
        expect(e.method, what).toBe("POST");
        expect(e.headers.get("mcp-session-id"), what).toBeNull();
        if (!modern) {
          expect(e.headers.get("mcp-protocol-version"), what).toBe(e.body.method === "initialize" ? null : version);
          expect(e.headers.get("mcp-method"), what).toBeNull();
          expect(e.headers.get("mcp-name"), what).toBeNull();
          expect(e.body.params?._meta?.[PROTOCOL_VERSION_META_KEY], what).toBeUndefined();
          continue;
        }
        expect(e.headers.get("mcp-protocol-version"), what).toBe(MODERN);
        expect(e.headers.get("mcp-method"), what).toBe(e.body.method);
        if (e.body.method === "tools/call") {
          expect(decodeHeaderValue(e.headers.get("mcp-name")), what).toBe(e.body.params.name);
        } else {
          expect(e.headers.get("mcp-name"), what).toBeNull();
        }
        expect(e.body.params._meta, what).toMatchObject({
          [PROTOCOL_VERSION_META_KEY]: MODERN,
          [CLIENT_INFO_META_KEY]: CLIENT_INFO,
          [CLIENT_CAPABILITIES_META_KEY]: expect.any(Object),
        });
      }
      if (modern) {
        // No initialize, no notifications/initialized, no GET stream: nothing but requests.
        expect(wire.filter((e) => e.body?.id === undefined)).toEqual([]);
      }
    },
  );
});
