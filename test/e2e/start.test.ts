import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { validate } from "@scalar/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port.ts";
import { eventually, services } from "../harness/services.ts";

const root = resolve(import.meta.dirname, "../..");

/** Runs `src/index.ts` the way `npm start` does, with the given environment. */
function startApi(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d;
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d;
  });
  return Object.assign(child, { output: () => output });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (c) => r(c))));

describe("npm start (the real process)", () => {
  let api: ReturnType<typeof startApi>;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = startApi({ PORT: String(port), LOKI_URL: services().lokiUrl });
    await eventually(async () => ((await fetch(`${base}/api/v1/ai_logs/health`)).ok ? true : undefined), 30_000);
  });
  afterAll(() => {
    if (api.exitCode === null) api.kill("SIGKILL");
  });

  it("serves /health 200 with Loki up", async () => {
    const res = await fetch(`${base}/api/v1/ai_logs/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(((await res.json()) as { loki: { version: string } }).loki.version).toBe("3.7.8");
  });

  it("echoes a caller's X-Request-Id", async () => {
    const res = await fetch(`${base}/api/v1/ai_logs/health`, { headers: { "X-Request-Id": "trace-me-42" } });
    expect(res.headers.get("x-request-id")).toBe("trace-me-42");
  });

  it("serves a valid OpenAPI 3.1 document and a reference page", async () => {
    const res = await fetch(`${base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/ai_logs/health");
    const result = await validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const page = await fetch(`${base}/api/v1/reference`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("/api/v1/openapi.json");
  });

  it("answers an unknown path with a problem+json 404", async () => {
    const res = await fetch(`${base}/no/such/path`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, title: "Not found", instance: "/no/such/path" });
    expect(body.hint).toMatch(/openapi/);
  });

  it("shuts down gracefully on SIGTERM, finishing in-flight requests", async () => {
    const inFlight = fetch(`${base}/api/v1/ai_logs/health`);
    await new Promise((r) => setTimeout(r, 5));
    api.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await exitOf(api)).toBe(0);
    expect(api.output()).toMatch(/stopped/);
  });
});

describe("bad configuration stops start-up", () => {
  it.each([
    [{ LOKI_URL: "not a url" }, /LOKI_URL must be a URL/],
    [{ PORT: "eighty" }, /PORT must be a TCP port number/],
    [{ REDIS_URL: "http://localhost:6379" }, /REDIS_URL must use redis: or rediss:/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of/],
  ])("%o → non-zero exit naming the variable", async (env, message) => {
    const api = startApi(env as Record<string, string>);
    const code = await exitOf(api);
    expect(code).not.toBe(0);
    expect(api.output()).toMatch(message);
  });
});
