import { beforeAll, describe, expect, it } from "vitest";
import { MemoryCache } from "../../src/cache/index.ts";
import type { LokiClient } from "../../src/loki/client.ts";
import { loadPatternLibrary, type PatternLibrary } from "../../src/patterns/library/index.ts";
import { patternsParamsSchema } from "../../src/patterns/schemas.ts";
import { listPatterns, type PatternsContext, stepMsOf } from "../../src/patterns/service.ts";
import { LearnedStore } from "../../src/patterns/store.ts";
import { tokensOf } from "../../src/query/budget.ts";
import { cursorKeysFrom } from "../../src/query/cursor.ts";
import { ServiceDiscovery } from "../../src/query/discovery.ts";

let library: PatternLibrary;
let ctx: PatternsContext;

beforeAll(async () => {
  library = await loadPatternLibrary();
  ctx = {
    // The library listing never calls Loki.
    loki: {} as LokiClient,
    discovery: new ServiceDiscovery(),
    settings: {
      maxRangeMs: 86_400_000,
      scanCap: 1000,
      pageSize: 500,
      defaultMaxTokens: 4000,
      maxBytes: 1e10,
      cursorKeys: cursorKeysFrom(["test-cursor-key-0123456789"]),
    },
    library,
    store: new LearnedStore({ cache: new MemoryCache(1 << 20) }),
  };
});

describe("GET /patterns library listing (service)", () => {
  it("filters by category and severity", async () => {
    const a = await listPatterns(ctx, { category: ["connection"], severity: ["critical"], max_tokens: 20_000 });
    expect(a.library.patterns.map((p) => p.id)).toEqual(["conn-pool-exhausted"]);
    expect(a.library.patterns[0]).toMatchObject({ category: "connection", severity: "critical" });
    expect(a.library.patterns[0]!.remediation).toMatch(/slow queries/);
    expect(a.learned).toBeUndefined();
  });

  it("min_severity keeps that severity and worse", async () => {
    const a = await listPatterns(ctx, { min_severity: "high", max_tokens: 50_000 });
    expect(a.library.total).toBe(library.patterns.filter((p) => ["critical", "high"].includes(p.severity)).length);
    expect(new Set(a.library.patterns.map((p) => p.severity))).toEqual(new Set(["critical", "high"]));
  });

  it("fits max_tokens by shortening, then dropping entries, and says so", async () => {
    const a = await listPatterns(ctx, { max_tokens: 600 });
    expect(a.tokens).toBeLessThanOrEqual(600);
    expect(tokensOf(a)).toBe(a.tokens);
    expect(a.library.total).toBe(library.patterns.length);
    expect(a.dropped.library).toBeGreaterThan(0);
    expect(a.library.patterns.length + a.dropped.library).toBe(library.patterns.length);
    expect(a.dropped.notes.join(" ")).toMatch(/library/);
  });
});

describe("params", () => {
  it("accepts lists and rejects unknown categories, severities and levels with a message", () => {
    const ok = patternsParamsSchema.safeParse({ category: ["connection,ai"], severity: "high", include_loki: "false" });
    expect(ok.success && ok.data).toMatchObject({
      category: ["connection", "ai"],
      severity: ["high"],
      include_loki: false,
    });
    const bad = patternsParamsSchema.safeParse({ category: "network", level: "loud", min_severity: "urgent" });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => i.message).join("\n");
    expect(messages).toMatch(/category must be among connection, performance/);
    expect(messages).toMatch(/level must be among/);
    expect(messages).toMatch(/min_severity must be one of critical, high, medium, low/);
  });

  it("step: a duration, default a twentieth of the range, never too many buckets", () => {
    const hour = { start: 0n, end: 3_600_000_000_000n };
    expect(stepMsOf(undefined, hour)).toBe(180_000);
    expect(stepMsOf("1m", hour)).toBe(60_000);
    expect(() => stepMsOf("1s", hour)).toThrow(/buckets/);
    expect(() => stepMsOf("soon", hour)).toThrow(/not a duration/);
    expect(stepMsOf("1h", hour)).toBe(3_600_000);
    expect(() => stepMsOf("200y", hour)).toThrow(/longer than the 1h range/);
  });
});
