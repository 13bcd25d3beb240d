import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateRawQuery } from "../../src/logql/index.ts";
import {
  createMatcher,
  DEFAULT_PATTERN_DIR,
  lineFiltersMatch,
  loadPatternLibrary,
  type Pattern,
  patternSchema,
  patternStages,
  pushdownStages,
  renderPushdown,
  selectPatterns,
} from "../../src/patterns/library/index.ts";
import { namedGroupTokens, stripGroupNames } from "../../src/patterns/library/re2.ts";

function pattern(id: string, match: Record<string, unknown>, extra: Record<string, unknown> = {}): Pattern {
  return patternSchema.parse({
    id,
    title: id,
    category: "connection",
    severity: "medium",
    match,
    description: "d",
    remediation: "r",
    references: ["https://example.com/"],
    examples: { positive: ["x"], negative: ["y"] },
    ...extra,
  });
}

const ids = (m: ReturnType<typeof createMatcher>, line: string) => m.match(line).map((x) => x.id);

describe("match semantics", () => {
  it("keywords: any one of them, as a literal substring", () => {
    const m = createMatcher([pattern("kw", { keywords: ["a.b", "(c)"] })]);
    expect(ids(m, "xx A.B yy")).toEqual(["kw"]);
    expect(ids(m, "(C)")).toEqual(["kw"]);
    expect(ids(m, "axb c")).toEqual([]);
  });

  it("keywords and regex: both must hold; exclude vetoes", () => {
    const m = createMatcher([pattern("both", { keywords: ["refused"], regex: "port \\d+", exclude: ["retry ok"] })]);
    expect(ids(m, "refused on port 5432")).toEqual(["both"]);
    expect(ids(m, "port 5432 open")).toEqual([]);
    expect(ids(m, "refused on port x")).toEqual([]);
    expect(ids(m, "refused on port 5432, RETRY OK")).toEqual([]);
  });

  it("case: sensitive compares exactly, insensitive folds keywords, regex and exclude", () => {
    const exact = createMatcher([pattern("s", { keywords: ["OOMKilled"], regex: "Reason: \\w+", case: "sensitive" })]);
    expect(ids(exact, "Reason: OOMKilled")).toEqual(["s"]);
    expect(ids(exact, "reason: oomkilled")).toEqual([]);
    const folded = createMatcher([pattern("i", { keywords: ["OOMKilled"], regex: "Reason: \\w+" })]);
    expect(ids(folded, "REASON: OOMKILLED")).toEqual(["i"]);
  });

  it("extracts fields, filling aliased groups (user__2) and skipping groups that did not take part", () => {
    const p = pattern(
      "alias",
      { regex: "user=(?P<user>\\w+)|login (?P<user__2>\\w+) from (?P<ip>[\\d.]+)" },
      {
        fields: [
          { name: "user", description: "u" },
          { name: "ip", description: "i" },
        ],
      },
    );
    const m = createMatcher([p]);
    expect(m.match("user=alice")[0]?.fields).toEqual({ user: "alice" });
    expect(m.match("login bob from 10.0.0.1")[0]?.fields).toEqual({ user: "bob", ip: "10.0.0.1" });
  });

  it("best() returns the most severe match; test() rejects unknown ids", () => {
    const m = createMatcher([
      pattern("low", { keywords: ["disk"] }, { severity: "low" }),
      pattern("crit", { keywords: ["full"] }, { severity: "critical" }),
    ]);
    expect(m.best("disk full")?.id).toBe("crit");
    expect(m.best("disk ok")?.id).toBe("low");
    expect(m.best("fine")).toBeUndefined();
    expect(() => m.test("nope", "x")).toThrow(/unknown pattern id/);
  });
});

describe("pushdown rendering", () => {
  it("renders one pattern's conditions as chained, escaped filters", () => {
    expect(renderPushdown(pattern("a", { keywords: ['say "hi"', "a\\b"], case: "sensitive" }))).toBe(
      '|= "say \\"hi\\"" or "a\\\\b"',
    );
    expect(renderPushdown(pattern("b", { keywords: ["a.b"], regex: "x+", exclude: ["ok"] }))).toBe(
      '|~ "(?i)a\\\\.b" |~ "(?i)x+" !~ "(?i)ok"',
    );
    expect(renderPushdown(pattern("c", { regex: "x+", exclude: ["ok"], case: "sensitive" }))).toBe('|~ "x+" != "ok"');
  });

  it("renders several patterns as one |~ filter with or, named groups removed", () => {
    const set = [
      pattern("a", { keywords: ["refused"] }),
      pattern(
        "b",
        { regex: "code=(?P<code>\\d+)", case: "sensitive" },
        { fields: [{ name: "code", description: "c" }] },
      ),
    ];
    expect(renderPushdown(set)).toBe('|~ "(?i:refused)" or "(?:code=(\\\\d+))"');
    expect(() => pushdownStages([])).toThrow(RangeError);
  });

  it("the rendered text decodes back to the stage values (LogQL validator)", async () => {
    const lib = await loadPatternLibrary(DEFAULT_PATTERN_DIR);
    for (const p of lib.patterns) {
      const { tokens } = validateRawQuery(`{job="x"} ${renderPushdown(p)}`);
      const decoded = tokens.filter((t) => t.kind === "string").map((t) => t.value);
      expect(decoded.slice(1), p.id).toEqual(patternStages(p).flatMap((s) => s.values));
    }
  });
});

describe("pushdown is a superset of local matching (RE2 semantics on both sides)", async () => {
  const lib = await loadPatternLibrary(DEFAULT_PATTERN_DIR);
  const all = pushdownStages(lib.patterns);
  const singles = new Map(lib.patterns.map((p) => [p.id, patternStages(p)]));
  const lines = lib.patterns.flatMap((p) => [...p.examples.positive.map((e) => e.line), ...p.examples.negative]);
  const fragment = fc.oneof(
    fc
      .constantFrom(...lines)
      .chain((l) =>
        fc.tuple(fc.nat(l.length), fc.nat(l.length)).map(([a, b]) => l.slice(Math.min(a, b), Math.max(a, b))),
      ),
    fc.constantFrom(...lines),
    fc.string({ maxLength: 12, unit: "grapheme" }),
  );
  const caseFlip = fc.boolean().map((up) => (s: string) => (up ? s.toUpperCase() : s.toLowerCase()));
  const line = fc
    .tuple(fc.array(fragment, { minLength: 1, maxLength: 4 }), fc.option(caseFlip))
    .map(([parts, flip]) => (flip === null ? parts.join(" ") : flip(parts.join(" "))));

  it("for generated lines: every local match passes the library filter and its own filter, exactly", () => {
    fc.assert(
      fc.property(line, (l) => {
        const matched = new Set(lib.match(l).map((m) => m.id));
        if (matched.size > 0) expect(lineFiltersMatch(all, l)).toBe(true);
        for (const p of lib.patterns) {
          expect(lineFiltersMatch(singles.get(p.id) ?? [], l), `${p.id}: ${l}`).toBe(matched.has(p.id));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("re2 helpers", () => {
  it("finds named groups outside escapes, \\Q..\\E and character classes", () => {
    const src = "\\(?P<no>x)[(?P<no2>]\\Q(?P<no3>\\E(?P<yes>a)(?<js>b)";
    expect(namedGroupTokens(src).map((t) => [t.name, t.syntax])).toEqual([
      ["yes", "go"],
      ["js", "js"],
    ]);
    expect(stripGroupNames(src)).toBe("\\(?P<no>x)[(?P<no2>]\\Q(?P<no3>\\E(a)(b)");
    expect(stripGroupNames("[]a(?P<x>]](?P<y>z)")).toBe("[]a(?P<x>]](z)");
  });
});

describe("selectPatterns", () => {
  const list = [
    pattern("a", { keywords: ["a"] }, { severity: "critical", category: "ai" }),
    pattern("b", { keywords: ["b"] }, { severity: "low", category: "ai" }),
    pattern("c", { keywords: ["c"] }, { severity: "high", category: "security" }),
  ];
  it.each<[Parameters<typeof selectPatterns>[1], string[]]>([
    [{}, ["a", "b", "c"]],
    [{ category: "ai" }, ["a", "b"]],
    [{ category: ["security", "infrastructure"] }, ["c"]],
    [{ severity: "low" }, ["b"]],
    [{ minSeverity: "high" }, ["a", "c"]],
    [{ category: "ai", minSeverity: "high" }, ["a"]],
  ])("%j", (query, expected) => {
    expect(selectPatterns(list, query).map((p) => p.id)).toEqual(expected);
  });
});
