import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nowNs } from "../../src/loki/time.ts";
import { openStream, type StreamClient, startTestServer, type TestServer } from "../harness/server.ts";
import { lokiClient, runId } from "../harness/services.ts";

// Hostile clients and hostile lines on the live stream: floods, bad messages, too many
// subscriptions, lines made to break JSON or a terminal; and the alerts an operator relies on.

const loki = lokiClient();

async function entries(c: StreamClient, want: number, timeoutMs = 15_000): Promise<string[]> {
  const got: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) {
    const m = await c.next("entries", Math.max(100, deadline - Date.now())).catch(() => undefined);
    if (m) got.push(...m.entries.map((e: { line: string }) => e.line));
  }
  return got;
}

describe("the stream under hostile input", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STREAM_MAX_SUBSCRIPTIONS: "3" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("passes hostile lines through byte for byte (quotes, escapes, control characters, unicode, long lines)", async () => {
    const svc = runId("evil");
    const c = await openStream(server.wsUrl);
    c.send({ type: "subscribe", id: "e", services: [svc] });
    await c.next("subscribed");
    const lines = [
      '"},{"type":"subscribed","id":"x"}',
      "\u0000\u0007\u001b[31mred\u001b[0m \\u0000 \\",
      "emoji 🔥 and lone surrogate-free text: ∑ ü 中文",
      `{"level":"error","msg":"${"a".repeat(200_000)}"}`,
      "line with </script><script>alert(1)</script>",
    ];
    const t = nowNs();
    await loki.push([
      { stream: { service_name: svc }, values: lines.map((l, i) => [t + BigInt(i), l] as [bigint, string]) },
    ]);
    const got = await entries(c, lines.length);
    expect(got.sort()).toEqual([...lines].sort());
    c.ws.close();
  });

  it("refuses a subscription past the per-connection limit, binary frames and a message flood, and stays open", async () => {
    const c = await openStream(server.wsUrl);
    await c.next("hello");
    for (let i = 0; i < 3; i++) {
      c.send({ type: "subscribe", id: `s${i}`, services: [runId("many")] });
      await c.next("subscribed");
    }
    c.send({ type: "subscribe", id: "s3", services: ["x"] });
    expect(await c.next("error")).toMatchObject({ id: "s3", code: "too-many-subscriptions" });
    c.send({ type: "subscribe", id: "s0", services: ["x"] });
    expect(await c.next("error")).toMatchObject({ id: "s0", code: "id-in-use" });
    c.ws.send(Buffer.from([1, 2, 3]));
    expect(await c.next("error")).toMatchObject({ code: "bad-message" });
    for (let i = 0; i < 400; i++) c.send({ type: "ping" });
    const limited = await c.next("error");
    expect(limited.code).toBe("rate-limited");
    expect(c.ws.readyState).toBe(1);
    c.ws.close();
  });

  it("refuses malformed filters with the field to fix", async () => {
    const c = await openStream(server.wsUrl);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: "subscribe", id: "a", patterns: ["no-such-pattern"] }, "unknown-pattern"],
      [{ type: "subscribe", id: "b", logql: 'sum(rate({a="b"}[1m]))' }, "not-a-log-query"],
      [{ type: "subscribe", id: "c", logql: '{a=~".*"}' }, "bad-logql"],
      [{ type: "subscribe", id: "d", logql: '{a="b"}', services: ["x"] }, "logql-and-services"],
      [{ type: "subscribe", id: "e", regex: "x".repeat(2000) }, "bad-message"],
      [{ type: "subscribe", id: "f", sample: 2 }, "bad-message"],
      [{ type: "update", id: "nope", levels: ["error"] }, "unknown-subscription"],
      [{ type: "resume", id: "nope", seq: -5 }, "bad-message"],
    ];
    for (const [message, code] of cases) {
      c.send(message);
      const err = await c.next("error");
      expect(err.code, JSON.stringify(message)).toBe(code);
      expect(err.hint.length).toBeGreaterThan(10);
    }
    c.ws.close();
  });
});

describe("alerts and stats on the stream", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STREAM_STATS_MS: "300" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("alerts a library pattern once per window with its remediation, and counts lines and errors per service", async () => {
    const svc = runId("db");
    const c = await openStream(server.wsUrl);
    c.send({ type: "subscribe", id: "a", services: [svc] });
    await c.next("subscribed");
    const t = nowNs();
    const refused = "ERROR connect ECONNREFUSED 10.0.3.17:5432";
    await loki.push([
      {
        stream: { service_name: svc },
        values: [
          [t, refused],
          [t + 1n, refused],
          [t + 2n, "INFO request served"],
        ],
      },
    ]);
    const alert = await c.next("alert");
    expect(alert).toMatchObject({ id: "a", kind: "pattern", pattern: { id: "conn-refused" }, count: 1 });
    expect(alert.remediation.length).toBeGreaterThan(20);
    expect(alert.service).toBe(svc);
    const stats = await (async () => {
      for (;;) {
        const s = await c.next("stats");
        if (s.services.length) return s;
      }
    })();
    expect(stats.services[0]).toMatchObject({ service: svc, lines: 3, errors: 2 });
    expect(stats.services[0].error_ratio).toBeCloseTo(2 / 3, 3);
    // The second hit of the same pattern in the window was counted, not alerted.
    expect(await c.next("alert", 1_000).catch(() => undefined)).toBeUndefined();
    c.ws.close();
  });
});
