import { describe, expect, it } from "vitest";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { MEDIA, SHOP } from "../../scripts/datagen/topology.ts";
import { loadPatternLibrarySync, type PatternLibrary } from "../../src/patterns/library/index.ts";
import { minedText, minedTextCache } from "../../src/patterns/message.ts";
import type { LogEntry } from "../../src/query/entry.ts";
import { type ParsedLine, parseLine } from "../../src/query/lines.ts";
import { keepLine } from "../../src/query/modes.ts";
import { parsedLines } from "../../src/query/parsed-lines.ts";
import { serviceOf as serviceOfEntry } from "../../src/query/service.ts";
import { type AnalyzedEntry, type Library, SummaryBuilder, summarize } from "../../src/query/summarize.ts";

const MIN = 60_000;
const START = Date.UTC(2026, 10, 24, 12, 0, 0);
const END = START + 8 * MIN;
const WINDOW = { start: START, end: END };

/** Eight minutes of both demo topologies, an incident in inventory-db, newest first (as a backward read gives). */
function entries(): LogEntry[] {
  const generated = [
    generateScenario({
      topology: SHOP,
      start: START,
      end: END,
      rps: 2,
      seed: 7,
      incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: START + 3 * MIN, end: START + 5 * MIN }],
    }),
    generateScenario({ topology: MEDIA, start: START, end: END, rps: 1, seed: 11, distractor: false }),
  ];
  return generated
    .flatMap((g) => g.records)
    .map((r) => ({ ts: r.tsNs, line: r.line, labels: r.labels, metadata: r.metadata ?? {}, parsed: {} }))
    .sort((a, b) => (a.ts === b.ts ? 0 : a.ts > b.ts ? -1 : 1));
}

/** A line's service as /query names it (the topologies use several label schemes). */
const serviceOf = (e: LogEntry) => serviceOfEntry(e, { label: "service_name", labelNames: [], services: [] });
const keep = (e: LogEntry, p: ParsedLine) => keepLine("troubleshoot", p, e.line);
const ALL = entries();
const KNOWN = [...new Set(ALL.map(serviceOf))];
const LIBRARY = loadPatternLibrarySync();

function analyzedOf(list: LogEntry[], parsedOf: (e: LogEntry) => ParsedLine = parseLine): AnalyzedEntry[] {
  const out: AnalyzedEntry[] = [];
  for (const entry of list) {
    const parsed = parsedOf(entry);
    if (keep(entry, parsed)) out.push({ entry, parsed, service: serviceOf(entry) });
  }
  return out;
}

/** Hands `list` over in pages as a read does; `settle` lets the deferred work run first. */
async function fedAhead(list: LogEntry[], settle: boolean, pageSize = 700) {
  const lines = parsedLines(keep, { knownServices: KNOWN, serviceOf, library: LIBRARY, inOrder: true });
  for (let i = 0; i < list.length; i += pageSize) lines.parseSoon(list.slice(i, i + pageSize));
  if (settle) for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  return lines;
}

const json = (x: unknown) => JSON.stringify(x);

describe("summary fed ahead, page by page", () => {
  it("has problem lines, several groups and the incident's service as origin (the data is worth comparing)", () => {
    const s = summarize(analyzedOf(ALL), KNOWN, WINDOW, LIBRARY);
    expect(s.groups.length).toBeGreaterThan(3);
    expect(s.groups.reduce((n, g) => n + g.count, 0)).toBe(analyzedOf(ALL).length);
    expect(s.groups.some((g) => g.pattern !== undefined)).toBe(true);
    expect(s.likely_origin?.service).toBe("inventory-db");
  });

  it.each([
    ["the deferred work done", true],
    ["nothing done yet", false],
  ])("equals summarize of the same lines (%s)", async (_, settle) => {
    const lines = await fedAhead(ALL, settle);
    const items = analyzedOf(ALL, lines.parsedOf).map((it) => ({ ...it, mined: lines.minedOf(it.entry) }));
    expect(json(lines.summaryOf(items, WINDOW))).toBe(json(summarize(analyzedOf(ALL), KNOWN, WINDOW, LIBRARY)));
  });

  it("summarises afresh when the answer's lines are not the lines fed, in that order", async () => {
    const lines = await fedAhead(ALL, true);
    const fed = analyzedOf(ALL, lines.parsedOf);
    const reversed = [...fed].reverse();
    const fresh = summarize(reversed, KNOWN, WINDOW, LIBRARY);
    // Order matters to a summary (examples, first groups), so a summary of the fed order would differ.
    expect(json(fresh)).not.toBe(json(summarize(fed, KNOWN, WINDOW, LIBRARY)));
    expect(json(lines.summaryOf(reversed, WINDOW))).toBe(json(fresh));

    const fewer = fed.slice(0, -1);
    expect(json(lines.summaryOf(fewer, WINDOW))).toBe(json(summarize(fewer, KNOWN, WINDOW, LIBRARY)));
  });

  it("summarises afresh after a restart (the range read again)", async () => {
    const lines = await fedAhead(ALL.slice(0, 1500), true);
    lines.restart();
    const again = ALL.slice(0, 1500).filter((_, i) => i % 2 === 0);
    lines.parseSoon(again);
    const items = analyzedOf(again, lines.parsedOf);
    expect(json(lines.summaryOf(items, WINDOW))).toBe(json(summarize(items, KNOWN, WINDOW, LIBRARY)));
  });
});

describe("parsedLines", () => {
  it("works ahead in slices, and stops working ahead once the request is aborted", async () => {
    let checked = 0;
    const counting = (e: LogEntry, p: ParsedLine) => {
      checked++;
      return keep(e, p);
    };
    const controller = new AbortController();
    const lines = parsedLines(counting, { knownServices: KNOWN, serviceOf, inOrder: true }, controller.signal);
    lines.parseSoon(ALL.slice(0, 2000));
    await new Promise((r) => setImmediate(r));
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThan(2000); // one slice per turn of the event loop
    controller.abort();
    const before = checked;
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(checked).toBe(before);
  });
});

describe("SummaryBuilder", () => {
  /** The library, counting the lines it is asked to match. */
  const counting = (library: PatternLibrary) => {
    const asked: string[] = [];
    const best = (line: string) => {
      asked.push(line);
      return library.best(line);
    };
    const lib: Library = { get: (id) => library.get(id), best };
    return { lib, asked };
  };

  it("with matchAhead, finds the groups' patterns as without it, asking little or nothing at finish", () => {
    const items = analyzedOf(ALL);
    const plain = summarize(items, KNOWN, WINDOW, LIBRARY);
    const { lib, asked } = counting(LIBRARY);
    const builder = new SummaryBuilder(KNOWN, lib, true);
    for (const it of items) builder.add(it);
    const before = asked.length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(48);
    const ahead = builder.finish(WINDOW);
    expect(json(ahead)).toBe(json(plain));
    const examples = plain.groups.reduce((n, g) => n + g.examples.length, 0);
    expect(asked.length - before).toBeLessThan(examples);
  });

  it("without matchAhead, matches only the groups' examples", () => {
    const items = analyzedOf(ALL);
    const { lib, asked } = counting(LIBRARY);
    const builder = new SummaryBuilder(KNOWN, lib);
    for (const it of items) builder.add(it);
    expect(asked).toEqual([]);
    const s = builder.finish(WINDOW);
    expect(asked.length).toBeLessThanOrEqual(s.groups.reduce((n, g) => n + g.examples.length, 0));
  });
});

describe("minedTextCache", () => {
  it("gives each line the text minedText gives it", () => {
    const cached = minedTextCache();
    let shared = 0;
    const byMessage = new Map<string, number>();
    for (const e of ALL) {
      const p = parseLine(e);
      const parts = { line: e.line, message: p.message, fields: p.fields };
      expect(cached(parts)).toEqual(minedText(parts));
      byMessage.set(p.message, (byMessage.get(p.message) ?? 0) + 1);
    }
    for (const n of byMessage.values()) if (n > 1) shared++;
    expect(shared).toBeGreaterThan(0); // some messages repeat, so the cache was used
  });
});
