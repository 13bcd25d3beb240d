import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startCountingProxy } from "../harness/counting-proxy.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";
import { withDuckParquet } from "../unit/helpers/export.ts";

// POST /export on the real Loki: ≥ 25,000 lines, many sharing a nanosecond so that Loki's 5,000-line
// pages end inside a group of equal timestamps; every line must come out exactly once, oldest first.

const loki = lokiClient();
const svc = runId("exp");
const TOTAL = 25_200;
const SAME_TS = 7; // lines per timestamp
let base: bigint;

function lineOf(i: number): string {
  return JSON.stringify({ level: i % 10 === 0 ? "error" : "info", msg: `order ${i} done`, n: i, duration_ms: i % 250 });
}

async function exportOf(server: TestServer, body: Record<string, unknown>, init: RequestInit = {}) {
  return fetch(`${server.url}/api/v1/ai_logs/export`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

describe("POST /export on the real Loki", () => {
  let server: TestServer;
  beforeAll(async () => {
    base = nowNs() - 600n * NS_PER_S;
    const values: Array<[bigint, string]> = [];
    for (let i = 0; i < TOTAL; i++) values.push([base + BigInt(Math.floor(i / SAME_TS)) * 1000n, lineOf(i)]);
    for (let i = 0; i < values.length; i += 5000) {
      await loki.push([{ stream: { service_name: svc }, values: values.slice(i, i + 5000) }]);
    }
    server = await startTestServer();
    // Loki answers once every line is in (ingesters are read directly).
    await eventually(async () => {
      const d = await loki.query({ query: `sum(count_over_time({service_name="${svc}"}[30m]))`, time: nowNs() });
      const n = d.resultType === "vector" ? Number(d.result[0]?.value[1] ?? 0) : 0;
      return n >= TOTAL ? true : undefined;
    }, 30_000);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const range = () => ({ start: String(base - NS_PER_S), end: String(base + 3_600n * NS_PER_S) });

  it("exports every line exactly once as NDJSON, oldest first, with the contract's fields", async () => {
    const res = await exportOf(server, { service: [svc], ...range(), format: "ndjson" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/ndjson/);
    const estimated = Number(res.headers.get("x-logsleuth-estimated-lines"));
    expect(estimated).toBeGreaterThan(TOTAL * 0.8);
    expect(estimated).toBeLessThan(TOTAL * 1.5);
    const rows = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(TOTAL);
    const ns = rows.map((r) => JSON.parse(r.line).n as number);
    expect(new Set(ns).size).toBe(TOTAL);
    const ts = rows.map((r) => BigInt(r.ts_ns));
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
    expect(rows[0]).toMatchObject({
      service: svc,
      level: "error",
      message: "order 0 done",
      labels: { service_name: svc },
    });
    expect(rows[1]).toMatchObject({ level: "info", message: "order 1 done" });
    expect(rows[0].ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it("exports the same lines as one JSON array, and as CSV with a header row", async () => {
    const json = await exportOf(server, { service: [svc], ...range(), format: "json", columns: ["ts_ns", "line"] });
    const arr = (await json.json()) as Array<{ line: string }>;
    expect(arr.length).toBe(TOTAL);
    expect(new Set(arr.map((r) => r.line)).size).toBe(TOTAL);
    const csv = await exportOf(server, {
      service: [svc],
      ...range(),
      format: "csv",
      columns: ["ts_ns", "n", "message"],
    });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0]).toBe("ts_ns,n,message");
    expect(lines.length).toBe(TOTAL + 1);
    expect(new Set(lines.slice(1).map((l) => l.split(",")[1])).size).toBe(TOTAL);
  });

  it("exports Parquet that an independent reader (DuckDB) reads back with typed columns and every row", async () => {
    const res = await exportOf(server, {
      service: [svc],
      ...range(),
      format: "parquet",
      columns: ["ts", "ts_ns", "service", "level", "message", "n:number", "duration_ms:number"],
    });
    expect(res.headers.get("content-type")).toMatch(/parquet/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await withDuckParquet(bytes, async (q, file) => {
      const [count] = await q(
        `select count(*)::INTEGER as n, count(distinct n)::INTEGER as d, sum(n)::DOUBLE as s from read_parquet(${file})`,
      );
      expect(count).toEqual({ n: TOTAL, d: TOTAL, s: (TOTAL * (TOTAL - 1)) / 2 });
      const types = await q(`select column_name, column_type from (describe select * from read_parquet(${file}))`);
      const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
      expect(typeOf).toMatchObject({
        ts: "TIMESTAMP WITH TIME ZONE",
        ts_ns: "BIGINT",
        n: "DOUBLE",
        message: "VARCHAR",
      });
      const [first] = await q(
        `select ts_ns::VARCHAR as ts_ns, message, level from read_parquet(${file}) order by ts_ns, n limit 1`,
      );
      expect(first).toEqual({ ts_ns: String(base), message: "order 0 done", level: "error" });
      const meta = await q(`select decode(key) as k, decode(value) as v from parquet_kv_metadata(${file})`);
      expect(meta).toContainEqual({ k: "logsleuth.complete", v: "true" });
    });
  });

  it("neutralises spreadsheet formulas in CSV cells", async () => {
    const evil = runId("csvinj");
    const t = nowNs() - 5n * NS_PER_S;
    const payloads = [
      '=HYPERLINK("http://x")',
      "+cmd|' /C calc'!A0",
      "-2+3",
      "@SUM(1)",
      "\tx",
      "\rx",
      "plain",
      "Traceback:\n  at f()\n  at g()",
    ];
    await loki.push([
      {
        stream: { service_name: evil },
        values: payloads.map((p, i) => [t + BigInt(i), JSON.stringify({ msg: p, user: p })] as [bigint, string]),
      },
    ]);
    const res = await exportOf(server, { service: [evil], since: "5m", format: "csv", columns: ["message", "user"] });
    const rows = parse(await res.text(), { relax_column_count: false }) as string[][];
    expect(rows[0]).toEqual(["message", "user"]);
    const cells = rows.slice(1).flat();
    expect(cells.length).toBe(payloads.length * 2);
    for (const cell of cells) {
      if (cell === "plain" || cell.startsWith("Traceback")) continue;
      expect(cell.startsWith("'"), cell).toBe(true);
    }
    expect(rows.slice(1).map((r) => r[0]!.replace(/^'/, ""))).toEqual(payloads);
  });

  it("applies /query's filters and mode, and stops at limit", async () => {
    const errors = await exportOf(server, { service: [svc], ...range(), mode: "errors", format: "ndjson" });
    const rows = (await errors.text()).trim().split("\n");
    expect(rows.length).toBe(TOTAL / 10);
    const limited = await exportOf(server, { service: [svc], ...range(), contains: ["done"], limit: 1234 });
    expect((await limited.text()).trim().split("\n").length).toBe(1234);
  });

  it("compresses with gzip when asked", async () => {
    const res = await exportOf(server, { service: [svc], ...range(), compression: "gzip", limit: 100 });
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const text = await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(text.trim().split("\n").length).toBe(100);
  });

  it("refuses a bad body with the field to fix", async () => {
    for (const [body, field] of [
      [{ service: [svc], format: "xlsx" }, "format"],
      [{ service: [svc], columns: ["ts", "bad name!"] }, "columns"],
      [{ service: [svc], limit: 0 }, "limit"],
      [{ service: [svc], start: "yesterday-ish" }, "start"],
      [{ service: [svc], unknown: 1 }, ""],
    ] as const) {
      const res = await exportOf(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const problem = (await res.json()) as { hint?: string };
      expect(JSON.stringify(problem)).toContain(field);
      expect(problem.hint).toBeTruthy();
    }
  });
});

describe("an export whose client leaves", () => {
  it("stops reading from Loki when the client aborts mid-export", async () => {
    const proxy = await startCountingProxy(lokiClient().url, { delayMs: 50, delayOnly: "/loki/api/v1/query_range" });
    const server = await startTestServer({ LOKI_URL: proxy.url });
    try {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/api/v1/ai_logs/export`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ service: [svc], start: String(base - NS_PER_S), end: String(base + 3_600n * NS_PER_S) }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read(); // the first bytes: the export is under way
      controller.abort();
      await reader.cancel().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      const after = proxy.count("/loki/api/v1/query_range");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(proxy.count("/loki/api/v1/query_range")).toBe(after);
      expect(after).toBeLessThan(TOTAL / 5000 + 2); // it did not read the whole export first
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});

describe("signed export links", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "export-links-"));
  const file = path.join(dir, "keys.yaml");
  const keyA = generateKey();
  const keyB = generateKey();
  const tenantA = runId("acme");
  const tenantB = runId("globex");

  it("gives the same export to anyone holding the link, and refuses a key of another tenant", async () => {
    await appendKeyEntry(file, { id: "a", sha256: sha256Hex(keyA), tenant: tenantA, scopes: ["export"] });
    await appendKeyEntry(file, { id: "b", sha256: sha256Hex(keyB), tenant: tenantB, scopes: ["export"] });
    const mt = lokiClient(services().lokiMtUrl);
    const t = nowNs() - 60n * NS_PER_S;
    await mt.withTenant(tenantA).push([
      {
        stream: { service_name: "billing" },
        values: [0, 1, 2].map((i) => [t + BigInt(i), `A line ${i}`] as [bigint, string]),
      },
    ]);
    const server = await startTestServer({ LOKI_URL: services().lokiMtUrl, API_KEYS_FILE: file });
    try {
      const made = await fetch(`${server.url}/api/v1/ai_logs/export/link`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${keyA}` },
        body: JSON.stringify({ service: ["billing"], since: "10m", format: "ndjson" }),
      });
      expect(made.status).toBe(200);
      const link = (await made.json()) as { url: string; expires_in: number };
      expect(link.expires_in).toBe(900);
      const open = await fetch(`${server.url}${link.url}`); // no key: the link is the credential
      expect(open.status).toBe(200);
      expect(open.headers.get("content-disposition")).toMatch(/attachment; filename="logsleuth-export-.*\.ndjson"/);
      const lines = (await open.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).line);
      expect(lines).toEqual(["A line 0", "A line 1", "A line 2"]);
      const asB = await fetch(`${server.url}${link.url}`, { headers: { Authorization: `Bearer ${keyB}` } });
      expect(asB.status).toBe(403);
      expect(((await asB.json()) as { type: string }).type).toMatch(/export-link-other-tenant/);
      const asA = await fetch(`${server.url}${link.url}`, { headers: { Authorization: `Bearer ${keyA}` } });
      expect(asA.status).toBe(200);
      await asA.body?.cancel();
      // A changed link (another tenant written into it) does not verify.
      const [payload, mac] = link.url.split("/").at(-1)!.split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
      claims.ten = tenantB;
      const forged = `${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${mac}`;
      const bad = await fetch(`${server.url}/api/v1/ai_logs/export/${forged}`);
      expect(bad.status).toBe(404);
      // Making a link needs a key with the export scope.
      const anonymous = await fetch(`${server.url}/api/v1/ai_logs/export/link`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ service: ["billing"] }),
      });
      expect(anonymous.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
