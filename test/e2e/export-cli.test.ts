import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";
import { withDuckParquet } from "../unit/helpers/export.ts";

// `npm run export` as a real process (scripts/export.ts), in process and against a running API, on the real Loki.

const root = resolve(import.meta.dirname, "../..");
const loki = lokiClient();
const svc = runId("cli");
const TOTAL = 3_000;
const dir = mkdtempSync(join(tmpdir(), "logsleuth-export-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI the way `npm run export --` does, with `env` on top of the suite's Loki. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/export.ts", ...args], {
    cwd: root,
    env: { ...withoutLogLevel(process.env), LOKI_URL: services().lokiUrl, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d;
  });
  return new Promise((done) => child.once("close", (code) => done({ code, stdout: Buffer.concat(out), stderr })));
}

/** The CLI keeps the API's logs to warnings unless LOG_LEVEL is set. */
function withoutLogLevel(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LOG_LEVEL: _, ...rest } = env;
  return rest;
}

const query = () => ["--service", svc, "--since", "30m"];
const numbers = (values: unknown[]) => new Set(values.map(Number));
const everyN = new Set(Array.from({ length: TOTAL }, (_, i) => i));

describe("npm run export (the real process)", () => {
  let server: TestServer;

  beforeAll(async () => {
    const base = nowNs() - 300n * NS_PER_S;
    const values: Array<[bigint, string]> = [];
    for (let i = 0; i < TOTAL; i++) {
      // Three lines per nanosecond, so pages end inside groups of equal timestamps.
      const line = JSON.stringify({ level: i % 7 ? "info" : "error", msg: `=row ${i}`, n: i });
      values.push([base + BigInt(Math.floor(i / 3)) * 1000n, line]);
    }
    await loki.push([{ stream: { service_name: svc }, values }]);
    await eventually(async () => {
      const d = await loki.query({ query: `sum(count_over_time({service_name="${svc}"}[30m]))`, time: nowNs() });
      return d.resultType === "vector" && Number(d.result[0]?.value[1] ?? 0) >= TOTAL ? true : undefined;
    }, 30_000);
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it("in process: NDJSON with every line, the final count line, exit 0, no partial file left", async () => {
    const out = join(dir, "a.ndjson");
    const run = await runCli([...query(), "--out", out], { QUERY_PAGE_SIZE: "700" });
    expect(run.stderr).toMatch(new RegExp(`export: ${TOTAL} lines, \\d+ bytes written to ${out} in [\\d.]+ s\\n$`));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/in process/);
    const rows = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(TOTAL);
    expect(numbers(rows.map((r) => JSON.parse(r.line).n))).toEqual(everyN);
    expect(rows[0]).toMatchObject({ service: svc, level: "error", message: "=row 0" });
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it("in process: Parquet, the completion read back from the file's footer; DuckDB reads every row", async () => {
    const out = join(dir, "b.parquet");
    const run = await runCli([...query(), "--columns", "ts,service,message,n:number", "--out", out]);
    expect(run.stderr).toMatch(new RegExp(`export: ${TOTAL} lines, \\d+ bytes written to ${out}`));
    expect(run.code).toBe(0);
    await withDuckParquet(readFileSync(out), async (q, file) => {
      const [row] = await q(
        `select count(*)::INTEGER as c, count(distinct n)::INTEGER as d from read_parquet(${file})`,
      );
      expect(row).toEqual({ c: TOTAL, d: TOTAL });
    });
  });

  it("--api: gzip CSV (format and gzip from the name), every line, formulas neutralised", async () => {
    const out = join(dir, "c.csv.gz");
    const run = await runCli([...query(), "--columns", "ts_ns,n,message", "--api", server.url, "--out", out]);
    expect(run.stderr).toMatch(new RegExp(`export: ${TOTAL} lines, \\d+ bytes written to ${out}`));
    expect(run.stderr).toMatch(new RegExp(`via ${server.url}`));
    expect(run.code).toBe(0);
    const records = parse(gunzipSync(readFileSync(out))) as string[][];
    expect(records[0]).toEqual(["ts_ns", "n", "message"]);
    expect(records.length).toBe(TOTAL + 1);
    expect(numbers(records.slice(1).map((r) => r[1]))).toEqual(everyN);
    expect(records[1]?.[2]).toBe("'=row 0");
  });

  it("--api to stdout (-): JSON on stdout, progress and count on stderr", async () => {
    const run = await runCli([...query(), "--format", "json", "--api", server.url, "--out", "-"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`export: ${TOTAL} lines, ${run.stdout.length} bytes written to -`));
    const rows = JSON.parse(run.stdout.toString("utf8")) as Array<{ line: string }>;
    expect(numbers(rows.map((r) => JSON.parse(r.line).n))).toEqual(everyN);
  });

  it("bad usage: exit 2 naming the option", async () => {
    const run = await runCli([...query(), "--format", "xml", "--out", join(dir, "x")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--format: format must be one of json, ndjson, csv, parquet/);
  });

  it("a guardrail refusal (EXPORT_MAX_BYTES=1): non-zero exit, the problem's title and hint, no file", async () => {
    const out = join(dir, "d.ndjson");
    const run = await runCli([...query(), "--out", out], { EXPORT_MAX_BYTES: "1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/export: refused \(422\): .+\n {2}.+/);
    expect(run.stderr).toMatch(/hint: /);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  });

  it("a bad key (401 from the API): non-zero exit, the problem printed, no file", async () => {
    const keys = join(dir, "keys.yaml");
    await appendKeyEntry(keys, { id: "k", sha256: sha256Hex(generateKey()), tenant: "t", scopes: ["export"] });
    const guarded = await startTestServer({ API_KEYS_FILE: keys });
    try {
      const out = join(dir, "e.ndjson");
      const run = await runCli([...query(), "--api", guarded.url, "--key", generateKey(), "--out", out]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/export: refused \(401\)/);
      expect(run.stderr).toMatch(/hint: .*Authorization: Bearer/);
      expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
    } finally {
      await guarded.close();
    }
  });
});

/** An HTTP server that answers every request 200 with `write(res)`'s bytes, then does what it says. */
async function fakeApi(body: string, end: "finish" | "cut"): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/x-ndjson", "X-Logsleuth-Estimated-Lines": "10" });
    res.write(body);
    if (end === "finish") res.end();
    else setTimeout(() => res.socket?.destroy(), 50);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("npm run export never leaves a silently truncated file", () => {
  const line = (n: number) => `${JSON.stringify({ ts: "x", message: `m${n}` })}\n`;
  const cases: Array<[string, string, "finish" | "cut", RegExp]> = [
    [
      "an error record at the end",
      `${line(1)}${line(2)}{"error":{"code":"loki-unavailable","message":"gone","rows":2}}\n`,
      "finish",
      /FAILED \(error-record\) after 2 lines.*loki-unavailable: gone/,
    ],
    ["a connection cut inside a line", `${line(1)}{"ts":"x","mess`, "cut", /FAILED \(cut\).*connection was cut/],
    ["a connection cut at a line's end", `${line(1)}${line(2)}`, "cut", /FAILED \(cut\).*connection was cut/],
  ];
  it.each(cases)(
    "%s: exit 1, the output kept as .partial (and said so), never at --out",
    async (_, body, end, message) => {
      const fake = await fakeApi(body, end);
      try {
        const out = join(dir, `f-${end}-${body.length}.ndjson`);
        const run = await runCli(["--service", "s", "--api", fake.url, "--out", out]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain(`the partial output is kept in ${out}.partial`);
        expect(existsSync(out)).toBe(false);
        expect(readFileSync(`${out}.partial`, "utf8")).toBe(body);
      } finally {
        fake.server.close();
      }
    },
  );
});
