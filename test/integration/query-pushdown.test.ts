// The pushed-down legs on the real Loki: each mode answers exactly what reading every line and
// filtering locally would give (so Loki never drops a line keepLine keeps, whatever Loki's own level
// detection says), and the sliced, concurrent read of several legs equals one ordered scan of their
// union, across the cap, the cursor and lines sharing a timestamp.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "../../src/logql/index.ts";
import type { PushStream } from "../../src/loki/client.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { entriesOf, entryKey, type LogEntry } from "../../src/query/entry.ts";
import { parseLine } from "../../src/query/lines.ts";
import { buildLogQueries, keepLine, type Mode } from "../../src/query/modes.ts";
import { type Boundary, compareInOrder, scan } from "../../src/query/scan.ts";
import { scanMany } from "../../src/query/scan-many.ts";
import { buildTestApp, getJson, lokiClient, runId } from "../harness/services.ts";

const run = runId("push");
const loki = lokiClient();
const t0 = nowNs() - 15n * 60n * NS_PER_S;
const at = (s: number) => t0 + BigInt(Math.round(s * 1e9));
let app: ReturnType<typeof buildTestApp>;

/** One line of each kind the modes must find, and quiet lines they must not. */
const KINDS: Array<{ line: string; labels?: Record<string, string>; metadata?: Record<string, string> }> = [
  { line: '{"level":50,"time":1,"msg":"db connection lost"}' }, // pino error: Loki detects no level
  { line: '{"level":60,"msg":"could not load user info"}' }, // pino fatal: Loki reads "info" from the text
  { line: '{"level":40,"msg":"slow disk"}' },
  { line: '{"level":30,"msg":"all fine"}' },
  { line: 'lvl=eror msg="db connection lost"' }, // log15
  { line: '{"level":"eRRoR","msg":"mixed case level"}' },
  { line: "info: ERROR occurred while reading" }, // Loki: info (first word), which lines.ts reads before the text
  { line: "payment declined", metadata: { level: "error" } }, // level only in structured metadata
  { line: "payment declined again", labels: { severity: "WARNING" } }, // level only in a stream label
  { line: "dial tcp 10.0.0.7:5432: connect: connection refused" }, // only a keyword says so
  { line: "GET /api/orders 503 12ms" },
  { line: "java.lang.IllegalStateException: pool closed" },
  { line: "Traceback (most recent call last):" },
  { line: "user alice logged in from 10.0.0.4" },
  { line: '{"level":"info","msg":"API key created","actor":"bob"}' },
  { line: 'level=info msg="request timeout configured to 30s"' },
  { line: "GET /api/orders 200 12ms" },
  { line: 'level=debug msg="cache hit"' },
];

beforeAll(async () => {
  const streams = new Map<string, PushStream>();
  KINDS.forEach((k, i) => {
    const labels = { service_name: run, env: "push", ...k.labels };
    const key = JSON.stringify(labels);
    const s: PushStream = streams.get(key) ?? { stream: labels, values: [] };
    // Each kind ten times over ten minutes; copy 4 of every kind shares one timestamp (fewer such lines
    // per leg than a page holds: a scan steps past a timestamp whose lines fill a whole page).
    for (let j = 0; j < 10; j++) {
      const ts = at(j === 4 ? 240 : j * 60 + i * 0.01);
      const line = copy(k.line, j);
      s.values.push(k.metadata ? [ts, line, k.metadata] : [ts, line]);
    }
    streams.set(key, s);
  });
  await loki.push([...streams.values()]);
  app = buildTestApp({ QUERY_PAGE_SIZE: "10", QUERY_CONCURRENCY: "3" });
});
afterAll(async () => {
  await app?.close();
  await loki.close();
});

/** Copy `j` of a line: a JSON line stays JSON. */
const copy = (line: string, j: number) => (line.startsWith("{") ? line.replace("{", `{"n":${j},`) : `${line} #${j}`);
const original = (line: string) => line.replace(/^\{"n":\d+,/, "{").replace(/ #\d+$/, "");

const range = { start: t0 - NS_PER_S, end: t0 + 11n * 60n * NS_PER_S };

async function everyLine(): Promise<LogEntry[]> {
  const data = await loki.queryRange({ query: `{service_name="${run}"}`, ...range, limit: 1000 });
  if (data.resultType !== "streams") throw new Error("expected streams");
  return entriesOf(data.result);
}

describe("each mode finds what reading every line and filtering locally finds", () => {
  for (const mode of ["troubleshoot", "errors", "audit"] as const satisfies readonly Mode[]) {
    it(mode, async () => {
      const all = await everyLine();
      expect(all).toHaveLength(KINDS.length * 10);
      const expected = all.filter((e) => keepLine(mode, parseLine(e), e.line)).map((e) => e.line);
      const { status, body } = await getJson(app.app, "/api/v1/ai_logs/query", {
        mode,
        service: run,
        start: String(range.start),
        end: String(range.end),
        format: "lines",
        limit: "1000",
        max_tokens: "200000",
      });
      expect(status).toBe(200);
      const got = (body.lines as Array<{ line: string }>).map((l) => l.line);
      expect(got.sort()).toEqual(expected.sort());
      expect(body.logql).toMatch(
        mode === "audit"
          ? /^\{service_name="[^"]+"\} \|~ "\(\?i\)2fa"/
          : /^\{service_name="[^"]+"\} \| detected_level!~"/,
      );
    });
  }

  it("troubleshoot finds every problem kind, whichever source its level comes from", async () => {
    const { body } = await getJson(app.app, "/api/v1/ai_logs/query", {
      mode: "troubleshoot",
      service: run,
      start: String(range.start),
      end: String(range.end),
      format: "lines",
      limit: "1000",
      max_tokens: "200000",
    });
    const lines = (body.lines as Array<{ line: string }>).map((l) => original(l.line));
    for (const want of [
      '{"level":50,"time":1,"msg":"db connection lost"}',
      'lvl=eror msg="db connection lost"',
      '{"level":"eRRoR","msg":"mixed case level"}',
      "payment declined",
      "payment declined again",
      "dial tcp 10.0.0.7:5432: connect: connection refused",
      "GET /api/orders 503 12ms",
    ]) {
      expect(
        lines.filter((l) => l === want),
        want,
      ).toHaveLength(10);
    }
    expect(lines).not.toContain("GET /api/orders 200 12ms");
    // Loki's detected level is the authority: pino's 60 (fatal) beside the word "info" is placed at info by Loki
    // 3.7.8, so troubleshoot reads it as info (the documented cost of one fast query instead of three passes).
    expect(lines).not.toContain('{"level":60,"msg":"could not load user info"}');
  });

  it("reads again with the precise legs when lines Loki could not place flood the fast read", async () => {
    // QUERY_SCAN_CAP=12: the fast read stops at the cap, mostly on unplaced quiet lines, and is read again.
    const flood = runId("flood");
    const values: Array<[bigint, string]> = [];
    for (let i = 0; i < 40; i++) values.push([at(300 + i), `quiet line number ${i} without any level`]);
    values.push([at(100), "dial tcp 10.0.0.9:5432: connect: connection refused"]);
    await loki.push([{ stream: { service_name: flood, env: "push" }, values }]);
    const capped = buildTestApp({ QUERY_SCAN_CAP: "12", QUERY_PAGE_SIZE: "10" });
    try {
      const { status, body } = await getJson(capped.app, "/api/v1/ai_logs/query", {
        mode: "troubleshoot",
        service: flood,
        start: String(range.start),
        end: String(range.end),
        max_tokens: "20000",
      });
      expect(status).toBe(200);
      expect(body.logql).toMatch(/# mode=troubleshoot: 3 disjoint legs/);
      expect(body.hints.join(" ")).toMatch(/read again with text filters/);
      expect(body.stats.lines_returned).toBe(1);
      expect(body.groups[0].template).toMatch(/connection refused/);
    } finally {
      await capped.close();
    }
  });
});

describe("scanMany: the legs read in concurrent slices equal one ordered scan of their union", () => {
  const legs = buildLogQueries(
    [{ label: "service_name", op: "=", value: run }],
    "service_name",
    "troubleshoot",
    {},
    "precise",
  ).map((q) => render(q));

  async function union(direction: "backward" | "forward"): Promise<LogEntry[]> {
    const parts = await Promise.all(
      legs.map((query) =>
        scan(loki, { query, ...range, direction, pageSize: 5000, maxLines: 5000 }).then((r) => r.entries),
      ),
    );
    return parts.flat().sort((a, b) => compareInOrder(a, b, direction === "backward"));
  }

  for (const direction of ["backward", "forward"] as const) {
    for (const maxLines of [7, 23, 500]) {
      it(`${direction}, ${maxLines} lines per answer: pages through the whole union, nothing skipped or repeated`, async () => {
        const want = await union(direction);
        expect(want.length).toBeGreaterThan(50);
        const got: LogEntry[] = [];
        let boundary: Boundary | undefined;
        for (let i = 0; i < 100; i++) {
          const r = await scanMany(loki, {
            queries: legs,
            concurrency: 3,
            minSliceNs: 1_000_000_000n, // slices of a second or more, so this short range is cut
            ...range,
            direction,
            pageSize: 10,
            maxLines,
            boundary,
          });
          expect(r.entries.length).toBeLessThanOrEqual(maxLines);
          got.push(...r.entries);
          if (!r.truncated) {
            expect(r.covered).toEqual(range);
            break;
          }
          const last = r.entries.at(-1)!;
          expect(r.next?.ts).toBe(last.ts);
          expect(direction === "backward" ? r.covered.start : r.covered.end).toBe(last.ts);
          boundary = r.next;
        }
        const gotKeys = new Set(got.map(entryKey));
        const missing = want.filter((e) => !gotKeys.has(entryKey(e))).map((e) => `${e.ts} ${e.line}`);
        expect(missing, String(range.start)).toEqual([]);
        // Lines sharing a timestamp may come in another order; the set and the time order are exact.
        expect(got.map((e) => e.ts)).toEqual(want.map((e) => e.ts));
        expect(new Set(got.map(entryKey)).size).toBe(got.length);
        expect(got.map(entryKey).sort()).toEqual(want.map(entryKey).sort());
      });
    }
  }
});
