// What keeps the miner linear on hostile lines keeps its answers: the hand-written logfmt reader
// reads what the regex definition reads, `generalize` gives what its plain definition gives, and a
// line past `maxLineLength` is mined as its start plus one parameter holding the rest.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMiner, extractMessage } from "../../src/patterns/miner/index.ts";
import { generalize } from "../../src/patterns/miner/pattern.ts";
import { cutAt } from "../../src/patterns/miner/tokenize.ts";

const KEYS = ["msg", "message"];

/** The regex definition of a logfmt line (the reader before it was written by hand). */
function logfmtPlain(line: string, keys: readonly string[]): { message: string; fields?: Record<string, unknown> } {
  const pair = /([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/y;
  const spaces = /\s*/y;
  const text = line.trim();
  if ((text.startsWith("{") && text.endsWith("}")) || !text.includes("=")) return { message: line };
  const fields: Record<string, unknown> = {};
  let pos = 0;
  let pairs = 0;
  while (pos < text.length) {
    pair.lastIndex = pos;
    const m = pair.exec(text);
    if (m === null) return { message: line };
    const raw = m[2] as string;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    fields[m[1] as string] = value;
    pairs++;
    spaces.lastIndex = pair.lastIndex;
    spaces.exec(text);
    if (spaces.lastIndex === pair.lastIndex && spaces.lastIndex < text.length) return { message: line };
    pos = spaces.lastIndex;
  }
  if (pairs < 2) return { message: line };
  for (const key of keys) {
    const value = fields[key];
    if (typeof value !== "string") continue;
    const { [key]: _message, ...rest } = fields;
    return { message: value, fields: rest };
  }
  return { message: line };
}

/** The plain definition of `generalize` (holes found by scanning, the common end checked in full). */
function generalizePlain(a: string, b: string): string {
  const PH = "<*>";
  if (a === b) return a;
  const holes = (w: string) => {
    const out: number[] = [];
    for (let at = w.indexOf(PH); at >= 0; at = w.indexOf(PH, at + PH.length)) out.push(at);
    return out;
  };
  const inside = (hs: number[], cut: number) => hs.some((s) => cut > s && cut < s + PH.length);
  const alnum = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
  const ha = holes(a);
  const hb = holes(b);
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a[p] === b[p]) p++;
  const prefixOk = (q: number) => {
    if (inside(ha, q) || inside(hb, q)) return false;
    const last = a[q - 1];
    if (!alnum(last)) return true;
    const digitOrHole = (ch: string | undefined) => ch !== undefined && (/\p{N}/u.test(ch) || ch === "<");
    return last !== undefined && /\p{L}/u.test(last) && digitOrHole(a[q]) && digitOrHole(b[q]);
  };
  while (p > 0 && !prefixOk(p)) p--;
  let s = 0;
  while (s < max - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const suffixOk = (t: number) => {
    if (inside(ha, a.length - t) || inside(hb, b.length - t)) return false;
    for (let k = a.length - t; k < a.length; k++) if (alnum(a[k])) return false;
    return true;
  };
  while (s > 0 && !suffixOk(s)) s--;
  return `${a.slice(0, p)}${PH}${a.slice(a.length - s)}`.replace(/<\*>(?:[._-]?<\*>)+/g, PH);
}

describe("the logfmt reader", () => {
  const piece = fc.constantFrom("a", "msg", "k", "=", '"', "\\", '\\"', " ", "  ", "\t", "\n", "x y", "é", "1");
  const line = fc.array(piece, { maxLength: 24 }).map((p) => p.join(""));

  it("reads what the regex definition reads", () => {
    fc.assert(
      fc.property(line, (l) => {
        expect(extractMessage(l, KEYS)).toEqual(logfmtPlain(l, KEYS));
      }),
      { numRuns: 8000 },
    );
  });
});

describe("generalize", () => {
  const piece = fc.constantFrom("a", "b", "1", "2", "<*>", ".", "-", "_", ":", ")", "é", "x<*>");
  const word = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(""));

  it("gives what its plain definition gives", () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(generalize(a, b)).toBe(generalizePlain(a, b));
      }),
      { numRuns: 8000 },
    );
  });
});

describe("maxLineLength", () => {
  it("cuts a long line where the word holding the limit starts", () => {
    expect(cutAt("abc def", 100)).toBe(7);
    expect(cutAt("abc defgh ij", 5)).toBe(4);
    expect(cutAt("abc   defgh", 4)).toBe(0);
    expect(cutAt("ab cd   efgh", 6)).toBe(3);
    expect(cutAt("abcdefgh ij", 3)).toBe(0);
  });

  it("mines the start of a long line and keeps the rest as one parameter", () => {
    const miner = createMiner({ maxLineLength: 40 });
    const rest = "x".repeat(100);
    const a = miner.add(`login failed for user 42 from 10.0.0.1 because ${rest} a`);
    expect(a.template).toBe("login failed for user <*> from <*> <*>");
    expect(a.params).toEqual(["42", "10.0.0.1", `because ${rest} a`]);
    const b = miner.add(`login failed for user 7 from 10.0.0.2 since ${"y".repeat(5000)}`);
    expect(b.clusterId).toBe(a.clusterId);
    expect(miner.train(`login failed for user 9 from 10.0.0.3 ${"@".repeat(300)}`)).toBe(a.clusterId);
  });

  it("keeps templates and sample parameters within the limit", () => {
    const miner = createMiner({ maxLineLength: 50 });
    const lines = [
      `a ${" ".repeat(500)} b`,
      `${"a".repeat(500)} b`,
      `x y ${"z".repeat(500)}`,
      `k v ${"q ".repeat(300)}`,
    ];
    for (const line of lines) miner.add(line);
    for (const c of miner.clusters()) {
      expect(c.template.length).toBeLessThanOrEqual(50 + "<*>".length);
      for (const p of c.sampleParams) expect(p.length).toBeLessThanOrEqual(50);
    }
  });

  it("mines cut lines the same with and without the memos", () => {
    const word = fc.constantFrom("user", "42", "7", "a@b.com", '"x y"', "10.0.0.1", "blk_3", "k=v", "  ", "<*>");
    const line = fc.array(word, { minLength: 1, maxLength: 10 }).map((w) => w.join(" "));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 30 }), (lines, max) => {
        const fast = createMiner({ maxLineLength: max });
        const slow = createMiner({ maxLineLength: max, cacheSize: 0 });
        for (const l of [...lines, ...lines]) {
          const a = fast.add(l);
          const b = slow.add(l);
          expect([a.clusterId, a.template, a.params]).toEqual([b.clusterId, b.template, b.params]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a line within the limit as it was", () => {
    const line = "login failed for user 42 from 10.0.0.1";
    expect(createMiner({ maxLineLength: line.length }).add(line).template).toBe("login failed for user <*> from <*>");
  });
});

describe("JSON nested too deep", () => {
  it("keeps its message and shallow fields; what starts past the depth limit reads as null", () => {
    const deep = `{"msg":"boom","level":"error","d":${"[".repeat(100)}${"]".repeat(100)},"s":"[{\\"x"}`;
    expect(extractMessage(deep, KEYS).message).toBe("boom");
    const fields = extractMessage(deep, KEYS).fields as Record<string, unknown>;
    expect(fields["level"]).toBe("error");
    expect(fields["s"]).toBe('[{"x');
    let d: unknown = fields["d"];
    let depth = 1;
    while (Array.isArray(d) && d.length === 1) {
      d = d[0];
      depth++;
    }
    expect(d).toBeNull();
    expect(depth).toBe(64);
    const shallow = `{"msg":"boom","d":${"[".repeat(10)}${"]".repeat(10)}}`;
    expect(extractMessage(shallow, KEYS).message).toBe("boom");
  });

  it("takes time linear in the line: 10,000 levels of objects and arrays, strings holding brackets", () => {
    const nested = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    const line = `{"level":"error","msg":"deep failure","data":${nested(10_000)},"list":${"[".repeat(10_000)}${"]".repeat(10_000)},"t":"}]"}`;
    const e = extractMessage(line, KEYS);
    expect(e.message).toBe("deep failure");
    expect((e.fields as Record<string, unknown>)["t"]).toBe("}]");
  });
});
