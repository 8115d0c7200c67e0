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
import { MCP_URL, recordingFetch, toolTests } from "./shared.mjs";
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

const MODERN = "2026-07-28";
const CLIENT_INFO = { name: "checker-real-client-test-v2", version: "2.0.0" };


/** A header value as the spec encodes it: plain, or `=?base64?{base64 of UTF-8}?=`. */
function decodeHeaderValue(value) {
  const sentinel = /^=\?base64\?(.*)\?=$/.exec(value ?? "");
  return sentinel ? Buffer.from(sentinel[1], "base64").toString("utf8") : value;
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

  toolTests(() => client, { version, keyPrefix: `real-client-v2/${mode.id}` });

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
