// Vitest settings for the real-client tests. They talk to a server that is already running
// (`checker serve lab-4 --solution`), named by the MCP_URL environment variable;
// checker/tests/real_client.rs starts it and runs this suite from `cargo test`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite's cache in the repository's (ignored) node_modules, not a new one next to the tests.
  cacheDir: fileURLToPath(new URL("../../node_modules/.vite", import.meta.url)),
  test: {
    include: ["**/*.test.mjs"],
    // One server, one process: files run one after the other, each test within a file in order.
    fileParallelism: false,
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Never watch, even when started from a terminal.
    watch: false,
  },
});
