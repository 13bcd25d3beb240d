import { beforeAll, describe, expect, it } from "vitest";
import { LOKI_MAX_QUERY_BYTES, validateRawQuery } from "../../src/logql/index.ts";
import {
  CATEGORIES,
  createMatcher,
  createPatternLibrary,
  DEFAULT_PATTERN_DIR,
  lineFiltersMatch,
  loadPatternSources,
  type Pattern,
  type PatternLibrary,
  parsePatternSources,
  pushdownStages,
  renderPushdown,
  SEVERITIES,
} from "../../src/patterns/library/index.ts";

/*
 * The shipped library (patterns/*.yaml). Patterns are read synchronously at
 * collection time so that every pattern gets its own named tests: a failure
 * says which pattern and which example.
 */

const sources = await loadPatternSources(DEFAULT_PATTERN_DIR);
const patterns: Pattern[] = parsePatternSources(sources);
let library: PatternLibrary;

beforeAll(() => {
  library = createPatternLibrary(patterns);
});

describe("the shipped pattern library", () => {
  it("has at least 25 patterns across all five categories, one file per category", () => {
    expect(patterns.length).toBeGreaterThanOrEqual(25);
    for (const category of CATEGORIES) {
      expect(patterns.filter((p) => p.category === category).length, category).toBeGreaterThanOrEqual(4);
    }
    expect(sources.map((s) => s.file).sort()).toEqual(CATEGORIES.map((c) => `patterns/${c}.yaml`).sort());
  });

  it("covers the failure families the issue names", () => {
    const ids = new Set(patterns.map((p) => p.id));
    for (const id of [
      "conn-refused",
      "conn-timeout",
      "conn-dns-failure",
      "conn-tls-error",
      "conn-pool-exhausted",
      "perf-slow-query",
      "perf-high-latency",
      "perf-gc-pause",
      "perf-queue-backlog",
      "ai-rate-limit",
      "ai-context-length",
      "ai-quota-exhausted",
      "ai-model-timeout",
      "ai-content-filter",
      "ai-invalid-tool-call",
      "sec-auth-failure",
      "sec-invalid-token",
      "sec-permission-denied",
      "sec-brute-force",
      "infra-disk-full",
      "infra-oom",
      "infra-crash-loop",
      "infra-service-unavailable",
      "infra-deadlock",
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it("uses every severity level and has a burst rule for brute force", () => {
    for (const s of SEVERITIES)
      expect(
        patterns.some((p) => p.severity === s),
        s,
      ).toBe(true);
    expect(library.get("sec-brute-force")?.burst).toEqual({ count: 10, window: "1m", group_by: ["ip"] });
  });

  it("pushes the whole library down as one valid LogQL line filter within Loki's query size", () => {
    const logql = `{service_name="checkout"} ${library.pushdown()}`;
    expect(Buffer.byteLength(logql)).toBeLessThan(LOKI_MAX_QUERY_BYTES);
    const { tokens } = validateRawQuery(logql);
    const literals = tokens.filter((t) => t.kind === "string").map((t) => t.value);
    const [stage] = pushdownStages(patterns);
    expect(literals.slice(1)).toEqual(stage?.values);
  });
});

describe.each(patterns.map((p) => [p.id, p] as const))("pattern %s", (_id, pattern) => {
  const positives = pattern.examples.positive;
  const negatives = pattern.examples.negative;
  const alone = createMatcher([pattern]);

  it("has at least 3 positive and 3 negative examples, a remediation and references", () => {
    expect(positives.length).toBeGreaterThanOrEqual(3);
    expect(negatives.length).toBeGreaterThanOrEqual(3);
    expect(pattern.remediation.length).toBeGreaterThan(20);
    expect(pattern.references.length).toBeGreaterThanOrEqual(1);
  });

  it.each(positives.map((e, i) => [i, e] as const))("matches positive example #%i", (_i, example) => {
    const hit = library.match(example.line).find((m) => m.id === pattern.id);
    expect(hit, example.line).toBeDefined();
    expect(hit?.severity).toBe(pattern.severity);
    if (example.fields !== undefined) expect(hit?.fields).toEqual(example.fields);
    expect(alone.test(pattern.id, example.line)).toBe(true);
  });

  it.each(negatives.map((line, i) => [i, line] as const))("does not match negative example #%i", (_i, line) => {
    expect(library.match(line).map((m) => m.id)).not.toContain(pattern.id);
    expect(alone.test(pattern.id, line)).toBe(false);
  });

  it("its own pushdown selects exactly its examples, and renders as valid LogQL", () => {
    const stages = pushdownStages(pattern);
    for (const e of positives) expect(lineFiltersMatch(stages, e.line), e.line).toBe(true);
    for (const line of negatives) expect(lineFiltersMatch(stages, line), line).toBe(alone.test(pattern.id, line));
    expect(() => validateRawQuery(`{job="x"} ${renderPushdown(pattern)}`)).not.toThrow();
  });

  it("the library-wide pushdown accepts all its positive examples (superset)", () => {
    const stages = pushdownStages(patterns);
    for (const e of positives) expect(lineFiltersMatch(stages, e.line), e.line).toBe(true);
  });
});
