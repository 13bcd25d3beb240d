import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { buildDeps } from "../../src/deps.ts";
import { silentLogger } from "../../src/log.ts";

// The app is built without I/O; these requests never reach Loki.
const app = createApp(buildDeps(loadConfig({ LOKI_URL: "http://127.0.0.1:1", LOG_LEVEL: "silent" }), silentLogger));

describe("one error shape for every failure", () => {
  it("404 for an unknown path", async () => {
    const res = await app.request("/api/v1/ai_logs/nope", { headers: { "X-Request-Id": "r1" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toEqual({
      type: "urn:logsleuth:problem:not-found",
      title: "Not found",
      status: 404,
      detail: "No endpoint at /api/v1/ai_logs/nope",
      hint: expect.stringContaining("/api/v1/openapi.json"),
      instance: "/api/v1/ai_logs/nope",
      request_id: "r1",
    });
  });

  it("405 with Allow for a known path and a wrong method", async () => {
    const res = await app.request("/api/v1/ai_logs/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(await res.json()).toMatchObject({
      status: 405,
      title: "Method not allowed",
      hint: "Use one of: GET, HEAD.",
    });
  });

  it("generates a request id when none is given", async () => {
    const res = await app.request("/api/v1/openapi.json");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
