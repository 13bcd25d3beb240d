import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NS_PER_MS, NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { buildTestApp, eventually, getJson, lokiClient, runId, services } from "../harness/services.ts";
import {
  healthParams,
  type Params,
  paramsOf,
  patternsParams,
  queryParams,
  rawSuffix,
  SEEDED,
  servicesParams,
} from "./fuzz-params.arbitraries.ts";

/**
 * Issue 10: every query parameter of every endpoint, fuzzed with fast-check
 * (≥ 2,000 cases per endpoint, fixed seed) through the real app on the real
 * Loki. Never a response ≥ 500; every 4xx is application/problem+json with a
 * non-empty hint. All failures of a run are collected (deduplicated by status
 * and problem) and listed with the exact request, so one run shows them all.
 */

const RUNS = Math.max(2_000, Number(process.env.FUZZ_RUNS ?? 2_000));
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_010);
const PREFIX = "/api/v1/ai_logs";
const tenant = runId("fuzz");
const now = Date.now();
let t: ReturnType<typeof buildTestApp>;
const cursors: string[] = [];

beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const base = nowNs() - 8n * 60n * NS_PER_S;
  const every = 10n * NS_PER_S;
  const lines: Record<(typeof SEEDED)[number], (i: number) => string> = {
    "fz-a": (i) =>
      `level=${i % 3 ? "info" : "error"} msg="payment ${i % 3 ? "ok" : "failed"}" code=${i % 3 ? 200 : 500} duration_ms=${i * 7}`,
    "fz-b": (i) =>
      JSON.stringify({
        level: i % 2 ? "warn" : "error",
        msg: `timeout calling fz-a after ${i}ms`,
        trace_id: "ab".repeat(16),
      }),
    "fz-c": (i) => `${i % 4 ? "INFO" : "ERROR"} connection refused by 10.0.0.${i} conv_1 ws_1`,
  };
  await loki.push(
    SEEDED.map((s) => ({
      stream: { service_name: s, env: "prod" },
      values: Array.from({ length: 40 }, (_, i) => [base + BigInt(i) * every, lines[s](i)] as [bigint, string]),
    })),
  );
  // Lines sharing one timestamp, so paging returns a cursor.
  await loki.push([
    {
      stream: { service_name: "fz-a", env: "prod" },
      values: Array.from({ length: 12 }, (_, i) => [base, `job ${i} failed`]),
    },
  ]);
  await loki.close();
  t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant, RATE_LIMIT_CHEAP: "1000000/1m" });
  for (const query of <Array<Record<string, string>>>[
    { service: "fz-a", since: "10m", limit: "5" },
    { service: "fz-a", since: "10m", limit: "3", direction: "forward" },
    { mode: "troubleshoot", format: "lines", since: "10m", limit: "2" },
  ]) {
    const next = await eventually(async () => {
      const { body } = await getJson(t.app, `${PREFIX}/query`, query);
      return body.next_cursor as string | undefined;
    });
    cursors.push(next, ...tampered(next));
  }
}, 180_000);
afterAll(() => t?.close());

/** A real cursor changed: its timestamp moved to 0 and far in the future, one character flipped, cut. */
function tampered(cursor: string): string[] {
  const out = [`${cursor}x`, cursor.slice(0, -2), flip(cursor, Math.floor(cursor.length / 2))];
  const parts = cursor.split(".");
  for (const [i, part] of parts.entries()) {
    try {
      const data = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
      if (typeof data !== "object" || data === null || !("ts" in data)) continue;
      for (const ts of [
        "0",
        String(nowNs() + 86_400n * NS_PER_S * 365n),
        String(nowNs() - 3_600_000n * NS_PER_MS * 24n),
      ]) {
        const forged = Buffer.from(JSON.stringify({ ...data, ts })).toString("base64url");
        out.push(parts.map((p, j) => (j === i ? forged : p)).join("."));
      }
    } catch {
      // not a JSON part
    }
  }
  return out;
}

const flip = (s: string, at: number) => `${s.slice(0, at)}${s[at] === "A" ? "B" : "A"}${s.slice(at + 1)}`;

function urlOf(path: string, params: Params, suffix: string): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  return `${path}?${qs}${suffix}`;
}

interface Failure {
  key: string;
  url: string;
  status: number;
  type: string;
  body: string;
  times: number;
}

/** What is wrong with one response, or undefined when it keeps the contract. */
function breach(status: number, type: string, text: string): string | undefined {
  if (status >= 500) return `HTTP ${status}`;
  if (status < 400) {
    try {
      JSON.parse(text);
      return undefined;
    } catch {
      return `HTTP ${status} with a body that is not JSON`;
    }
  }
  if (!type.startsWith("application/problem+json")) return `HTTP ${status} as ${type || "no content type"}`;
  try {
    const hint = (JSON.parse(text) as { hint?: unknown }).hint;
    return typeof hint === "string" && hint.trim().length > 0 ? undefined : `HTTP ${status} without a hint`;
  } catch {
    return `HTTP ${status} problem that is not JSON`;
  }
}

/** Sends every generated request; collects the ones that break the contract, by kind. */
async function fuzz(endpoint: string, arb: fc.Arbitrary<[Params, string]>) {
  const failures = new Map<string, Failure>();
  const statuses = new Map<number, number>();
  const slowest: Array<[number, string]> = [];
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(arb, async ([params, suffix]) => {
      const url = urlOf(`${PREFIX}/${endpoint}`, params, suffix);
      const began = performance.now();
      const res = await t.app.request(url);
      const type = res.headers.get("content-type") ?? "";
      const text = await res.text();
      noteSlow(slowest, performance.now() - began, `${res.status} ${url.slice(0, 300)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = breach(res.status, type, text);
      if (what === undefined) return;
      let problem = "";
      try {
        const p = JSON.parse(text) as { type?: string; detail?: string };
        problem = `${p.type ?? ""} ${(p.detail ?? "").replace(/\d+/g, "N").slice(0, 60)}`;
      } catch {}
      // A 5xx body says nothing of its cause: tell them apart by the parameters sent.
      const names = res.status >= 500 ? ` [${Object.keys(params).sort().join(",")}]` : "";
      const key = `${what} ${problem}${names}`.trim();
      const known = failures.get(key);
      if (known) known.times++;
      else
        failures.set(key, {
          key,
          url: url.slice(0, 600),
          status: res.status,
          type,
          body: text.slice(0, 400),
          times: 1,
        });
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  const seconds = (performance.now() - started) / 1000;
  const counts = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
  console.info(
    `[fuzz] ${endpoint}: ${RUNS} cases in ${seconds.toFixed(1)} s (seed ${SEED}), statuses ${JSON.stringify(counts)}; slowest:\n${slowest.map(([ms, what]) => `   ${Math.round(ms)} ms ${what}`).join("\n")}`,
  );
  const list = [...failures.values()].sort((a, b) => b.times - a.times);
  const report = list
    .map((f) => `${f.times}× ${f.key}\n   GET ${f.url}\n   → ${f.status} ${f.type} ${f.body}`)
    .join("\n");
  if (list.length) console.info(`[fuzz] ${endpoint}: ${list.length} kind(s) of failure\n${report}`);
  expect(list.length, `${endpoint} (seed ${SEED}):\n${report}`).toBe(0);
}

/** Keeps the 3 slowest calls (for the run's report). */
function noteSlow(slowest: Array<[number, string]>, ms: number, what: string) {
  slowest.push([ms, what]);
  slowest.sort((a, b) => b[0] - a[0]);
  slowest.length = Math.min(slowest.length, 3);
}

const withSuffix = (params: fc.Arbitrary<Params>) => fc.tuple(params, rawSuffix);
const FUZZ_TIMEOUT = 900_000;

describe(`fuzzing every query parameter (${RUNS} cases per endpoint, seed ${SEED})`, () => {
  it(
    "GET /health",
    async () => {
      await fuzz("health", withSuffix(healthParams));
    },
    FUZZ_TIMEOUT,
  );

  it(
    "GET /services",
    async () => {
      await fuzz("services", withSuffix(paramsOf(servicesParams(now), { since: "10m" })));
    },
    FUZZ_TIMEOUT,
  );

  it(
    "GET /query",
    async () => {
      expect(cursors.length).toBeGreaterThan(3);
      await fuzz("query", withSuffix(paramsOf(queryParams(now, cursors), { service: "fz-a", since: "10m" })));
    },
    FUZZ_TIMEOUT,
  );

  it(
    "GET /patterns",
    async () => {
      await fuzz("patterns", withSuffix(paramsOf(patternsParams(now), { service: "fz-b", since: "10m" })));
    },
    FUZZ_TIMEOUT,
  );
});
