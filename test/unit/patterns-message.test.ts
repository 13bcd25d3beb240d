import { describe, expect, it } from "vitest";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { MEDIA, SHOP } from "../../scripts/datagen/topology.ts";
import { MAX_FIELDS, MAX_SCAN, MINED_TEXT_MINER, minedText } from "../../src/patterns/message.ts";
import { createMiner } from "../../src/patterns/miner/index.ts";
import { bucketsFor, templateStats, withValues } from "../../src/patterns/templates.ts";
import type { LogEntry } from "../../src/query/entry.ts";
import { parseLine } from "../../src/query/lines.ts";
import { type AnalyzedEntry, minedTextOf, summarize } from "../../src/query/summarize.ts";

const mined = (line: string) => {
  const p = parseLine({ line, labels: {}, metadata: {} });
  return minedText({ line, message: p.message, fields: p.fields });
};

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const iso = (i: number) => new Date(T0 + i * 1_337).toISOString();

/** One event written in each format, as the generator writes them. */
const FORMATS = {
  text: (i: number) => `${iso(i)} ERROR [checkout] payment failed order=${100 + i * 7} user=${40 + i} caller=gateway`,
  logfmt: (i: number) =>
    `ts=${iso(i)} level=error msg="payment failed" order_id=${100 + i * 7} duration_ms=${12 + i} caller=gateway`,
  json: (i: number) =>
    JSON.stringify({ ts: iso(i), level: "error", msg: "payment failed", order_id: 100 + i * 7, caller: "gateway" }),
};

function analyzed(lines: string[], service = "checkout"): AnalyzedEntry[] {
  return lines.map((line, i) => {
    const entry: LogEntry = { ts: BigInt(T0 + i) * 1_000_000n, line, labels: {}, metadata: {} } as LogEntry;
    return { entry, parsed: parseLine(entry), service };
  });
}

describe("minedText: what the miner reads of a line", () => {
  it("plain text: no timestamp or level, key=value as key=<*> with the values beside", () => {
    expect(mined("2026-11-29T10:00:00.123Z ERROR [checkout] payment failed order=123 user=42")).toEqual({
      text: "[checkout] payment failed order=<*> user=<*>",
      values: ["123", "42"],
    });
    expect(mined('[2026-11-29 10:00:00,123] [warn] disk "sda" almost full pct=91 (used=9.1G)')).toEqual({
      text: 'disk "sda" almost full pct=<*> (used=<*>)',
      values: ["91", "9.1G"],
    });
    expect(mined("10:00:00.5 WARN: retrying user=bob logged in")).toEqual({
      text: "retrying user=<*> logged in",
      values: ["bob"],
    });
  });

  it("logfmt and JSON: the message, with the other fields left out of the text", () => {
    expect(mined('ts=2026-11-29T10:00:00Z level=error msg="payment failed" order_id=123 duration_ms=12')).toEqual({
      text: "payment failed",
      values: [],
    });
    expect(mined('{"ts":"2026-11-29T10:00:00Z","level":"error","msg":"payment failed","order_id":123}')).toEqual({
      text: "payment failed",
      values: [],
    });
    // key=value inside the message itself is a parameter too.
    expect(mined('level=warn msg="pool exhausted (active=20 max=20)" host=a')).toEqual({
      text: "pool exhausted (active=<*> max=<*>)",
      values: ["20", "20"],
    });
  });

  it("structured lines without a message: their fields as key=<*>, without time and level", () => {
    expect(mined("ts=2026-11-29T10:00:00Z level=error order_id=123 duration_ms=12")).toEqual({
      text: "order_id=<*> duration_ms=<*>",
      values: ["123", "12"],
    });
    expect(mined('{"time":"2026-11-29T10:00:00Z","severity":"ERROR","order_id":7,"reason":"card declined"}')).toEqual({
      text: "order_id=<*> reason=<*>",
      values: ["7", "card declined"],
    });
    // A message under another name than parseLine's is still the message.
    expect(mined('{"level":"error","body":"card declined","order":7}')).toEqual({ text: "card declined", values: [] });
  });

  it("a value written with a space between fields keeps its second word; quoted values are one value", () => {
    expect(mined("2026-11-24T12:00:00Z ERROR request failed status=502 path=GET /watch duration_ms=41")).toEqual({
      text: "request failed status=<*> path=<*> duration_ms=<*>",
      values: ["502", "GET /watch", "41"],
    });
    expect(mined('login failed user="ann lee" reason="bad \\"pw\\"",')).toEqual({
      text: "login failed user=<*> reason=<*>,",
      values: ["ann lee", 'bad "pw"'],
    });
  });

  it("keeps a line that is only a prefix, and leaves URLs and comparisons alone", () => {
    expect(mined("ERROR")).toEqual({ text: "ERROR", values: [] });
    expect(mined("error connecting to db")).toEqual({ text: "error connecting to db", values: [] });
    expect(mined("GET http://x/a?b=1 took 3ms").text).toBe("GET http://x/a?b=1 took 3ms");
    expect(mined("check a==b failed").text).toBe("check a==b failed");
  });

  it("is capped on hostile lines: the rest of a long line is kept as written", () => {
    const long = `x ${"k=v ".repeat(100_000)}`;
    const got = mined(long);
    expect(got.values).toHaveLength(MAX_FIELDS);
    expect(got.text.endsWith(long.slice(MAX_SCAN))).toBe(true);
    const quotes = `a="${'\\"'.repeat(200_000)}`;
    expect(mined(quotes).text.length).toBeLessThanOrEqual(quotes.length);
  });
});

describe("templates of each format", () => {
  for (const [format, line] of Object.entries(FORMATS)) {
    it(`${format}: one group named by its message, with fields as parameters`, () => {
      const lines = Array.from({ length: 12 }, (_, i) => line(i));
      const { groups } = summarize(analyzed(lines), ["checkout"], { start: T0, end: T0 + 60_000 });
      expect(groups).toHaveLength(1);
      const expected = {
        text: "[checkout] payment failed order=<*> user=<*> caller=<*>",
        logfmt: "payment failed",
        json: "payment failed",
      }[format];
      expect(groups[0]!.template).toBe(expected);
      expect(groups[0]!.count).toBe(12);
    });
  }

  it("parameter samples of /patterns show the field values, not <*>", () => {
    const lines = Array.from({ length: 6 }, (_, i) => {
      const line = FORMATS.text(i);
      const m = mined(line);
      return { ts: BigInt(T0 + i) * 1_000_000n, line, message: m.text, values: m.values };
    });
    const buckets = bucketsFor({ start: BigInt(T0) * 1_000_000n, end: BigInt(T0 + 60_000) * 1_000_000n }, 60_000);
    const [stats] = templateStats(createMiner(MINED_TEXT_MINER), lines, buckets);
    expect(stats!.template).toBe("[checkout] payment failed order=<*> user=<*> caller=<*>");
    expect(stats!.params.find((p) => p.position === 2)).toEqual({
      position: 2,
      distinct: 1,
      top: [{ value: "gateway", count: 6 }],
    });
    expect(stats!.params.find((p) => p.position === 1)?.distinct).toBe(6);
  });

  it("withValues puts values back in order, and leaves params alone when the counts differ", () => {
    expect(withValues(["<*>", "a=<*>,b=<*>"], ["1", "2", "3"])).toEqual(["1", "a=2,b=3"]);
    expect(withValues(["<*>"], ["1", "2"])).toEqual(["<*>"]);
    expect(withValues(["x"], undefined)).toEqual(["x"]);
  });
});

describe("groups of the generator's incidents", () => {
  const START = Date.UTC(2026, 10, 24, 12, 0, 0);
  const END = START + 6 * 60_000;
  for (const [topology, root] of [
    [SHOP, "inventory-db"],
    [MEDIA, "drm"],
  ] as const) {
    it(`${topology.name}: templates carry no timestamp, level or field value, and the origin is ${root}`, () => {
      const generated = generateScenario({
        topology,
        start: START,
        end: END,
        rps: 2,
        seed: 11,
        incidents: [{ service: root, kind: "db_pool_exhausted", start: START + 120_000, end: START + 240_000 }],
      });
      const items: AnalyzedEntry[] = generated.records.flatMap((r) => {
        const entry = { ts: r.tsNs, line: r.line, labels: r.labels, metadata: r.metadata ?? {} } as LogEntry;
        const parsed = parseLine(entry);
        const service = (r.labels.service_name ?? r.labels.app ?? r.labels.job ?? "").replace(/^shop\//, "");
        return parsed.level === "error" || parsed.level === "warn" ? [{ entry, parsed, service }] : [];
      });
      const known = topology.services.map((s) => s.name);
      const summary = summarize(items, known, { start: START, end: END });
      expect(summary.likely_origin?.service).toBe(root);
      const templates = summary.groups.map((g) => g.template);
      expect(templates.some((t) => t.startsWith("connection pool exhausted: waited <*>ms"))).toBe(true);
      for (const t of templates) {
        expect(t).not.toMatch(/^(<\*>|\d{4}-)|\b(ERROR|WARN)\b/);
        expect(t).not.toMatch(/\b[\w.-]+=(?!<\*>)/); // every key=… is key=<*>
      }
      // Every problem line is in one group, and the groups are as many as the distinct events.
      expect(summary.groups.reduce((n, g) => n + g.count, 0)).toBe(items.length);
      expect(new Set(templates).size).toBe(templates.length);
      // The mined text a caller made ahead (while Loki read the next page) gives the same summary.
      const ahead = items.map((it) => ({ ...it, mined: minedTextOf(it.entry, it.parsed) }));
      expect(summarize(ahead, known, { start: START, end: END })).toEqual(summary);
    });
  }
});
