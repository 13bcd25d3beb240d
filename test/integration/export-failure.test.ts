import { afterAll, describe, expect, it } from "vitest";
import { type LocalLoki, startLoki } from "../../scripts/lib/local-loki.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startTestServer } from "../harness/server.ts";
import { lokiClient, services } from "../harness/services.ts";

// Loki stops answering in the middle of an export: the output ends with an error record saying how
// many rows came before it, never as a file that looks complete.

describe("an export whose Loki fails midway", () => {
  let own: LocalLoki | undefined;
  afterAll(async () => {
    own?.resume();
    await own?.dispose();
  });

  it("ends the NDJSON with an error record after the rows it wrote", async () => {
    own = await startLoki({ bin: services().lokiBin });
    const loki = lokiClient(own.url);
    const base = nowNs() - 300n * NS_PER_S;
    const total = 30_000;
    for (let i = 0; i < total; i += 5000) {
      await loki.push([
        {
          stream: { service_name: "mid" },
          values: Array.from(
            { length: 5000 },
            (_, j) => [base + BigInt(i + j) * 1000n, `line ${i + j}`] as [bigint, string],
          ),
        },
      ]);
    }
    const server = await startTestServer({ LOKI_URL: own.url, LOKI_TIMEOUT_MS: "1500", QUERY_PAGE_SIZE: "1000" });
    try {
      const res = await fetch(`${server.url}/api/v1/ai_logs/export`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ service: ["mid"], start: String(base - NS_PER_S), end: String(nowNs()) }),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      own.pause(); // Loki hangs: the next pages time out
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const lines = text.trim().split("\n");
      const last = JSON.parse(lines.at(-1)!);
      expect(last.error).toBeDefined();
      expect(last.error.rows).toBe(lines.length - 1);
      expect(last.error.rows).toBeLessThan(total);
      expect(last.error.message.length).toBeGreaterThan(0);
    } finally {
      own.resume();
      await server.close();
    }
  }, 120_000);
});
