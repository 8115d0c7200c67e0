// The official MCP TypeScript SDK as a real client of the lab-4 server, over Streamable HTTP:
// the handshake at the SDK's newest revision and at older revisions, the tool list, and a
// call of every tool, read the way an MCP host would read them. This is the first SDK
// generation (@modelcontextprotocol/sdk 1.x), which knows only the initialize era;
// real-client-v2.test.mjs runs the same calls with the second (@modelcontextprotocol/client 2.x),
// at 2026-07-28 as well.
//
// MCP_URL names the endpoint, e.g. http://127.0.0.1:8787/mcp (`cargo lab serve lab-4 --solution`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCP_URL, recordingFetch, toolTests } from "./shared.mjs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";


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



const REVISIONS = [
  // The SDK's own handshake, untouched.
  { label: `${LATEST_PROTOCOL_VERSION} (SDK default)`, offer: undefined },
  { label: "2025-03-26 (pinned)", offer: "2025-03-26" },
  { label: "2024-11-05 (pinned)", offer: "2024-11-05" },
];

describe.each(REVISIONS.map(({ label, offer }) => [label, offer]))("official MCP client at %s", (_label, offer) => {
  const version = offer ?? LATEST_PROTOCOL_VERSION;
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

  toolTests(() => client, { version, keyPrefix: "real-client" });

  it("an unknown tool is a JSON-RPC error (-32602), which the SDK raises as McpError", async () => {
    const call = client.callTool({ name: "no_such_tool", arguments: {} });
    await expect(call).rejects.toBeInstanceOf(McpError);
    await expect(call).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    await expect(call).rejects.toThrow(/unknown tool: no_such_tool/);
  });
});
