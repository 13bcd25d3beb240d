import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { entryKey, type LogEntry } from "../../src/query/entry.ts";
import { seenAt, shortHash } from "../../src/query/scan.ts";

const entry = (ts: bigint, line: string, labels: Record<string, string> = { app: "x" }): LogEntry => ({
  ts,
  line,
  labels,
  metadata: {},
  parsed: {},
});

describe("shortHash", () => {
  it("is the first 12 base64url characters of the sha1", () => {
    const key = "1795483200000000000\u0000app=x\u0000hello";
    expect(shortHash(key)).toBe(createHash("sha1").update(key).digest("base64url").slice(0, 12));
    expect(shortHash(key)).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it("is deterministic and tells different keys apart", () => {
    expect(shortHash("a")).toBe(shortHash("a"));
    expect(shortHash("a")).not.toBe(shortHash("b"));
    expect(shortHash("")).toHaveLength(12);
  });
});

describe("seenAt", () => {
  const a = entry(10n, "a");
  const b = entry(10n, "b");
  const c = entry(11n, "c");
  const h = (e: LogEntry) => shortHash(entryKey(e));

  it("hashes every entry returned at the timestamp", () => {
    expect(seenAt(10n, [a, b, c], undefined)).toEqual([h(a), h(b)]);
    expect(seenAt(11n, [a, b, c], undefined)).toEqual([h(c)]);
    expect(seenAt(12n, [a, b, c], undefined)).toEqual([]);
  });

  it("tells apart equal lines of different streams at one timestamp", () => {
    const other = entry(10n, "a", { app: "y" });
    expect(seenAt(10n, [a, other], undefined)).toHaveLength(2);
  });

  it("keeps the hashes of an earlier boundary at the same timestamp", () => {
    const previous = { ts: 10n, seen: ["earlier-hash"] };
    expect(seenAt(10n, [b], previous)).toEqual(["earlier-hash", h(b)]);
  });

  it("ignores a boundary at another timestamp", () => {
    expect(seenAt(11n, [c], { ts: 10n, seen: ["earlier-hash"] })).toEqual([h(c)]);
  });

  it("does not repeat a hash seen before and again now", () => {
    expect(seenAt(10n, [a, a], { ts: 10n, seen: [h(a)] })).toEqual([h(a)]);
  });
});
