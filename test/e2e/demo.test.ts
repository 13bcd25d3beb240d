import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LokiClient } from "../../src/loki/client.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { eventually, services } from "../harness/services.ts";

const root = resolve(import.meta.dirname, "../..");

describe("npm run demo (the real process)", () => {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
    cwd: root,
    env: { ...process.env, LOKI_BIN: services().lokiBin, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.stdout.on("data", (d: Buffer) => {
    output += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d;
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("starts Loki, seeds data, serves /health 200 and the OpenAPI document, and stops everything on Ctrl-C", async () => {
    const api = await eventually(async () => output.match(/API ready at (http:\/\/\S+)/)?.[1], 120_000, 250);
    const lokiUrl = output.match(/Loki ready at (http:\/\/\S+)/)?.[1];
    expect(lokiUrl).toBeDefined();
    expect(output).toMatch(/seeded \d+ log lines/);
    expect(output).toMatch(/curl -s http:\/\/\S+\/api\/v1\/ai_logs\/health/);

    const health = await fetch(`${api}/api/v1/ai_logs/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { cache: { kind: string } }).cache.kind).toBe("memory");
    expect((await fetch(`${api}/api/v1/openapi.json`)).status).toBe(200);

    // The demo data is queryable in Loki: the seeded incident's root cause and its loud callers.
    const loki = new LokiClient({ url: lokiUrl!, timeoutMs: 15_000 });
    const count = async (q: string) => {
      const v = await loki.query({ query: `sum(count_over_time(${q} [2h]))`, time: nowNs() + 60n * NS_PER_S });
      return v.resultType === "vector" ? Number(v.result[0]?.value[1] ?? 0) : 0;
    };
    expect(await count(`{job="shop/inventory-db"} |= "connection pool exhausted"`)).toBeGreaterThan(10);
    expect(await count(`{service_name="gateway"} |= "status 502"`)).toBeGreaterThan(10);
    expect(await count(`{service_name="notifications"} |= "missing locale"`)).toBeGreaterThan(100);
    expect((await loki.labelValues("app")).sort()).toEqual(expect.arrayContaining(["inventory", "payments"]));
    await loki.close();

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output).toMatch(/\[demo\] stopped/);
    await expect(fetch(`${lokiUrl}/ready`)).rejects.toThrow();
  });
});
