import { describe, expect, it } from "vitest";
import { readExportLink, signExportLink } from "../../src/export/link.ts";
import { resolveColumns, rfc3339Nano, toRow } from "../../src/export/rows.ts";
import { exportBodySchema } from "../../src/export/schemas.ts";
import { estimate } from "../../src/export/service.ts";
import type { LogEntry } from "../../src/query/entry.ts";
import { parseLine } from "../../src/query/lines.ts";
import { mergeForward } from "../../src/query/pages.ts";
import { thrown } from "./helpers/thrown.ts";

const entry = (ts: bigint, line: string, labels: Record<string, string> = { service_name: "api" }): LogEntry => ({
  ts,
  line,
  labels,
  metadata: {},
  parsed: {},
});

async function* pagesOf(pages: LogEntry[][]): AsyncGenerator<LogEntry[]> {
  for (const p of pages) yield p;
}

async function all(gen: AsyncGenerator<LogEntry[]>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const page of gen) out.push(...page);
  return out;
}

describe("merging a mode's legs into one timeline", () => {
  it("gives every line of every leg once, in time order, whatever the page cuts", async () => {
    const a = [
      [entry(1n, "a1"), entry(4n, "a4")],
      [entry(4n, "a4b"), entry(9n, "a9")],
    ];
    const b = [[entry(2n, "b2")], [entry(3n, "b3"), entry(4n, "b4")], [entry(10n, "b10")]];
    const c: LogEntry[][] = [];
    const merged = await all(mergeForward([pagesOf(a), pagesOf(b), pagesOf(c)]));
    expect(merged.map((e) => e.line).sort()).toEqual(["a1", "a4", "a4b", "a9", "b10", "b2", "b3", "b4"]);
    expect(merged.map((e) => Number(e.ts))).toEqual([1, 2, 3, 4, 4, 4, 9, 10]);
  });

  it("stops the legs when the reader stops early", async () => {
    let closed = 0;
    async function* leg(name: string): AsyncGenerator<LogEntry[]> {
      try {
        for (let i = 0; ; i++) yield [entry(BigInt(i), `${name}${i}`)];
      } finally {
        closed++;
      }
    }
    const merged = mergeForward([leg("x"), leg("y")]);
    await merged.next();
    await merged.return(undefined);
    expect(closed).toBe(2);
  });
});

describe("export rows", () => {
  it("writes timestamps in RFC3339 with nine digits of nanoseconds", () => {
    expect(rfc3339Nano(1_764_450_998_123_456_789n)).toBe("2025-11-29T21:16:38.123456789Z");
    expect(rfc3339Nano(5n)).toBe("1970-01-01T00:00:00.000000005Z");
  });

  it("reads requested fields from the line, then metadata and labels; objects as JSON text; absent as null", () => {
    const e = {
      ...entry(1n, '{"level":"warn","msg":"slow","duration_ms":812,"user":{"id":7}}'),
      metadata: { trace_id: "t1" },
    };
    const row = toRow(e, parseLine(e), { label: "service_name", labelNames: [], services: [] }, [
      "duration_ms",
      "user",
      "trace_id",
      "service_name",
      "missing",
    ]);
    expect(row).toMatchObject({ level: "warn", message: "slow", service: "api", ts_ns: "1" });
    expect(row.fields).toEqual({
      duration_ms: 812,
      user: '{"id":7}',
      trace_id: "t1",
      service_name: "api",
      missing: null,
    });
  });

  it("resolves columns: defaults, timestamp as ts, fields by name, bad names refused", () => {
    expect(resolveColumns(undefined).map((c) => c.name)).toEqual([
      "ts",
      "ts_ns",
      "service",
      "level",
      "labels",
      "message",
      "line",
    ]);
    expect(resolveColumns(["timestamp", "message", "duration_ms:number", "ts", "user:id"])).toEqual([
      { kind: "base", name: "ts" },
      { kind: "base", name: "message" },
      { kind: "field", name: "duration_ms", type: "number" },
      { kind: "field", name: "user:id" },
    ]);
    const err = thrown(() => resolveColumns(["ok", "=HYPERLINK()"]));
    expect(err.code).toBe("bad-column");
    expect(err.fields[0]?.field).toBe("columns");
  });

  it("estimates lines from the index count, else from the bytes over the mean line", () => {
    const rows = [{ line: "x".repeat(100) }, { line: "y".repeat(300) }] as never;
    expect(estimate(5000, 1e6, rows)).toBe(5000);
    expect(estimate(0, 1e6, rows)).toBe(5000);
    expect(estimate(undefined, 0, rows)).toBeUndefined();
  });
});

describe("export links", () => {
  const secrets = ["a-long-secret-for-tests-0001"] as [string];
  const params = exportBodySchema.parse({ service: ["api"], start: "1", end: "2", format: "csv" });

  it("carry the tenant and the export, and expire", () => {
    const token = signExportLink({ keyId: "k", tenant: "acme" }, params, secrets, 1_000, 60);
    const claims = readExportLink(token, secrets, 2_000);
    expect(claims).toMatchObject({ keyId: "k", tenant: "acme", params: { format: "csv", service: ["api"] } });
    expect(thrown(() => readExportLink(token, secrets, 61_001)).code).toBe("export-link-invalid");
  });

  it("do not verify when changed, signed with another secret, or made for something else", () => {
    const token = signExportLink({ keyId: "k", tenant: "acme" }, params, secrets, 1_000, 60);
    const [payload, mac] = token.split(".");
    const other = `${Buffer.from(Buffer.from(payload!, "base64url").toString().replace("acme", "evil")).toString("base64url")}.${mac}`;
    expect(thrown(() => readExportLink(other, secrets, 2_000)).status).toBe(404);
    expect(thrown(() => readExportLink(token, ["another-secret-entirely-02"], 2_000)).status).toBe(404);
    expect(thrown(() => readExportLink("x".repeat(20_000), secrets, 2_000)).status).toBe(404);
  });
});
