import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  eq,
  isLogqlError,
  literal,
  type Matcher,
  quote,
  quoteBacktick,
  render,
  scopeRawQuery,
  unquoteLiteral,
} from "../../src/logql/index.ts";

/*
 * Property tests for escaping and scoping. They check the library against an
 * INDEPENDENT model of Loki's lexer written here (Go text/scanner rules plus
 * Loki's `#` comments and raw `[range]` scanning, and Go strconv.Unquote),
 * not against the library's own tokenizer.
 */

const RUNS = 10_000;

// ---------- independent model of Go/Loki string decoding and lexing ----------

class GoSyntaxError extends Error {}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Go strconv.Unquote / Prometheus strutil.Unquote, byte for byte, plus text/scanner's NUL rule. */
function goUnquote(lit: string): string {
  const b = utf8.encode(lit);
  if (b.length < 2 || b[0] !== b[b.length - 1]) throw new GoSyntaxError("bad quotes");
  const q = b[0]!;
  const body = b.subarray(1, b.length - 1);
  if (body.includes(0)) throw new GoSyntaxError("NUL");
  if (q === 0x60) {
    if (body.includes(0x60)) throw new GoSyntaxError("backtick in raw string");
    return strictUtf8.decode(body);
  }
  if (q !== 0x22) throw new GoSyntaxError("not a string");
  if (body.includes(0x0a)) throw new GoSyntaxError("newline");
  const out: number[] = [];
  const hex = (from: number, n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const c = body[from + k];
      const d = c === undefined ? -1 : Number.parseInt(String.fromCharCode(c), 16);
      if (Number.isNaN(d) || d < 0) throw new GoSyntaxError("bad hex");
      v = v * 16 + d;
    }
    return v;
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === q) throw new GoSyntaxError("unescaped quote");
    if (c !== 0x5c) {
      out.push(c);
      i++;
      continue;
    }
    const e = String.fromCharCode(body[i + 1] ?? 0);
    const simple = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34 }[e];
    if (simple !== undefined) {
      out.push(simple);
      i += 2;
    } else if (e === "x") {
      out.push(hex(i + 2, 2));
      i += 4;
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      const cp = hex(i + 2, n);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new GoSyntaxError("invalid rune");
      out.push(...utf8.encode(String.fromCodePoint(cp)));
      i += 2 + n;
    } else if (e >= "0" && e <= "7") {
      let v = 0;
      for (let k = 1; k <= 3; k++) {
        const d = body[i + k];
        if (d === undefined || d < 0x30 || d > 0x37) throw new GoSyntaxError("bad octal");
        v = v * 8 + (d - 0x30);
      }
      if (v > 255) throw new GoSyntaxError("octal range");
      out.push(v);
      i += 4;
    } else {
      throw new GoSyntaxError(`bad escape ${e}`);
    }
  }
  try {
    return strictUtf8.decode(new Uint8Array(out));
  } catch {
    // Go would yield a byte string that is not UTF-8: no JS string can equal it
    throw new GoSyntaxError("not UTF-8");
  }
}

interface ModelToken {
  kind: "string" | "char" | "punct" | "word";
  text: string;
  value?: string;
}

/**
 * Loki's lexer as far as structure goes: Go text/scanner in GoTokens mode
 * (strings, raw strings, 'char' literals, // and /* comments), then Loki's
 * own `#` line comments and `[...]` ranges read raw up to the first `]`.
 * Returns null where Loki would report a lexing error.
 */
function lokiLex(src: string): ModelToken[] | null {
  const cps = [...src];
  const toks: ModelToken[] = [];
  let i = 0;
  const at = (k: number) => cps[k] ?? "";
  const scanQuoted = (quote: string): number | null => {
    let k = i + 1;
    for (;;) {
      const ch = at(k);
      if (ch === quote) return k + 1;
      if (ch === "" || ch === "\n") return null;
      if (ch === "\\") {
        const e = at(k + 1);
        if ("abfnrtv\\".includes(e) || e === quote) k += 2;
        else if (/[0-7]/.test(e)) k += 4;
        else if (e === "x") k += 4;
        else if (e === "u") k += 6;
        else if (e === "U") k += 10;
        else return null;
      } else k++;
    }
  };
  while (i < cps.length) {
    const ch = at(i);
    if (ch === "\0") return null;
    if (" \t\n\r".includes(ch)) {
      i++;
    } else if (ch === "#") {
      while (i < cps.length && at(i) !== "\n") i++;
    } else if (ch === "/" && at(i + 1) === "/") {
      while (i < cps.length && at(i) !== "\n") i++;
    } else if (ch === "/" && at(i + 1) === "*") {
      const rest = cps.slice(i + 2).join("");
      const end = rest.indexOf("*/");
      if (end < 0) return null;
      i += 2 + [...rest.slice(0, end)].length + 2;
    } else if (ch === '"' || ch === "'") {
      const end = scanQuoted(ch);
      if (end === null) return null;
      const text = cps.slice(i, end).join("");
      if (ch === '"') {
        try {
          toks.push({ kind: "string", text, value: goUnquote(text) });
        } catch {
          return null;
        }
      } else toks.push({ kind: "char", text });
      i = end;
    } else if (ch === "`") {
      let k = i + 1;
      while (k < cps.length && at(k) !== "`") k++;
      if (k >= cps.length) return null;
      const text = cps.slice(i, k + 1).join("");
      toks.push({ kind: "string", text, value: text.slice(1, -1) });
      i = k + 1;
    } else if (ch === "[") {
      let k = i + 1;
      while (k < cps.length && at(k) !== "]") k++;
      if (k >= cps.length) return null;
      toks.push({ kind: "word", text: cps.slice(i, k + 1).join("") });
      i = k + 1;
    } else if (/[\p{L}\p{N}_]/u.test(ch)) {
      let k = i;
      while (k < cps.length && /[\p{L}\p{N}_.]/u.test(at(k))) k++;
      toks.push({ kind: "word", text: cps.slice(i, k).join("") });
      i = k;
    } else {
      const two = ch + at(i + 1);
      if (["!=", "=~", "!~", "|=", "|~", "|>", "!>", "==", ">=", "<="].includes(two)) {
        toks.push({ kind: "punct", text: two });
        i += 2;
      } else {
        toks.push({ kind: "punct", text: ch });
        i++;
      }
    }
  }
  return toks;
}

/** Every `{...}` Loki would see, as lists of matchers (null when not a well-formed selector). */
function lokiSelectors(toks: ModelToken[]): (Matcher[] | null)[] {
  const out: (Matcher[] | null)[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (toks[i]?.text !== "{" || toks[i]?.kind !== "punct") continue;
    const ms: Matcher[] = [];
    let ok = false;
    let k = i + 1;
    while (k < toks.length) {
      const [n, op, v, sep] = [toks[k], toks[k + 1], toks[k + 2], toks[k + 3]];
      if (
        n?.kind !== "word" ||
        op?.kind !== "punct" ||
        v?.kind !== "string" ||
        !["=", "!=", "=~", "!~"].includes(op.text)
      )
        break;
      ms.push({ label: n.text, op: op.text as Matcher["op"], value: v.value ?? "" });
      k += 4;
      if (sep?.text === "}") {
        ok = true;
        break;
      }
      if (sep?.text !== ",") break;
    }
    out.push(ok ? ms : null);
  }
  return out;
}

describe("the Loki lexer model used as oracle", () => {
  it("decodes like Go strconv.Unquote", () => {
    expect(goUnquote('"\\x41\\u00e9\\101\\303\\251"')).toBe("AéAé");
    expect(goUnquote("`a\\nb`")).toBe("a\\nb");
    for (const bad of ['"\\\'"', '"a\nb"', '"\\xff"', '"\\ud800"', '"\\400"', '"a"b"', "`a\0b`"]) {
      expect(() => goUnquote(bad), bad).toThrow(GoSyntaxError);
    }
  });

  it("hides what Loki hides: strings, 'chars', # // /* */ comments and [ranges]", () => {
    const words = (q: string) => (lokiLex(q) ?? []).filter((t) => t.kind === "punct").map((t) => t.text);
    expect(words("\"{\" `{` '{' # {\n /* { */ // {\n [ {\"' ]")).toEqual([]);
    expect(words('{a="b"}')).toEqual(["{", "=", "}"]);
    expect(lokiLex('"unterminated')).toBeNull();
    expect(lokiSelectors(lokiLex('{a="b", c=~`d`} {x}') ?? [])).toEqual([
      [eq("a", "b"), { label: "c", op: "=~", value: "d" }],
      null,
    ]);
  });
});

// ---------- generators ----------

const nasty = fc.constantFrom(
  '"',
  "\\",
  "`",
  "\n",
  "\r",
  "\t",
  "\0",
  "}",
  "{",
  "|",
  "#",
  "'",
  "/*",
  "]",
  "[",
  "\u0085",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\u00e9",
  "\u{1f600}",
  "\u{10ffff}",
  "\\x41",
  "\\u0041",
  '\\"',
  '"}',
);
const unit = fc.oneof(
  { weight: 3, arbitrary: nasty },
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
);
const value = fc.string({ unit, maxLength: 24 });

const lokiAcceptsAsLiteral = (lit: string, expected: string): void => {
  const toks = lokiLex(lit);
  expect(toks).not.toBeNull();
  expect(toks).toHaveLength(1);
  expect(toks?.[0]?.kind).toBe("string");
  expect(toks?.[0]?.value).toBe(expected);
};

// ---------- properties ----------

describe("quote (property)", () => {
  it("decodes back to the same value under Go's strconv rules", () => {
    fc.assert(
      fc.property(value, (v) => {
        const q = quote(v);
        expect(goUnquote(q)).toBe(v);
        lokiAcceptsAsLiteral(q, v);
        expect(unquoteLiteral(q)).toBe(v);
      }),
      { numRuns: RUNS },
    );
  });

  it("never emits raw control, line-breaking or invisible characters", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(quote(v)).not.toMatch(/[\p{C}\p{Zl}\p{Zp}]/u);
      }),
      { numRuns: RUNS },
    );
  });

  it("backtick and auto literals decode back to the same value", () => {
    fc.assert(
      fc.property(value, fc.constantFrom("backtick", "auto", "double") as fc.Arbitrary<"backtick">, (v, style) => {
        const raw = quoteBacktick(v);
        if (raw !== undefined) expect(goUnquote(raw)).toBe(v);
        lokiAcceptsAsLiteral(literal(v, style), v);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects lone surrogates instead of changing the value", () => {
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(value, lone, value, (a, s, b) => {
        expect(() => quote(a + s + b)).toThrow(expect.objectContaining({ code: "invalid_string" }));
      }),
      { numRuns: 2_000 },
    );
  });

  it("the library decoder agrees with JSON strings (a second, independent encoder)", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(unquoteLiteral(JSON.stringify(v))).toBe(v);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("render (property): values never change the query structure", () => {
  const build = (vs: string[]) =>
    render({
      kind: "vector",
      fn: "sum",
      by: ["service_name"],
      inner: {
        kind: "range",
        fn: "count_over_time",
        range: "5m",
        query: {
          kind: "log",
          selector: { matchers: [eq("service_name", vs[0] ?? ""), { label: "env", op: "!=", value: vs[1] ?? "" }] },
          pipeline: [
            { kind: "line_filter", op: "|=", values: [vs[2] ?? "", vs[3] ?? ""] },
            { kind: "line_filter", op: "!=", values: [vs[4] ?? ""] },
            { kind: "json", extract: [{ label: "msg", expression: vs[5] ?? "" }] },
            { kind: "label_filter", filter: { type: "string", label: "level", op: "=", value: vs[6] ?? "" } },
            { kind: "line_format", template: vs[7] ?? "" },
            { kind: "drop", labels: [{ label: "x", op: "=", value: vs[8] ?? "" }] },
          ],
        },
      },
    });
  const skeleton = (q: string): { shape: string; literals: string[] } => {
    const toks = lokiLex(q);
    expect(toks).not.toBeNull();
    return {
      shape: (toks ?? []).map((t) => (t.kind === "string" ? "<S>" : t.text)).join(" "),
      literals: (toks ?? []).filter((t) => t.kind === "string").map((t) => t.value ?? ""),
    };
  };
  const reference = skeleton(build(["a", "b", "c", "d", "e", "f", "g", "h", "i"]));

  it("has the same token shape for any values, and each literal is the value given", () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 9, maxLength: 9 }).filter((vs) => vs[0] !== ""),
        (vs) => {
          const got = skeleton(build(vs));
          expect(got.shape).toBe(reference.shape);
          expect(got.literals).toEqual(vs);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("scopeRawQuery (property): a raw query can never escape the required matchers", () => {
  const required = [eq("service_name", "checkout")];
  const hasRequired = (ms: Matcher[] | null) =>
    ms?.some((m) => m.label === "service_name" && m.op === "=" && m.value === "checkout") === true;

  const checkScoped = (raw: string): "accepted" | "rejected" => {
    let scoped: string;
    try {
      scoped = scopeRawQuery(raw, required).logql;
    } catch (e) {
      if (!isLogqlError(e)) throw e;
      return "rejected";
    }
    const toks = lokiLex(scoped);
    expect(toks, `Loki could not lex ${JSON.stringify(scoped)}`).not.toBeNull();
    for (const sel of lokiSelectors(toks ?? [])) expect(hasRequired(sel), scoped).toBe(true);
    return "accepted";
  };

  const fragment = fc.oneof(
    fc.constantFrom(
      "{",
      "}",
      '"',
      "`",
      "'",
      "\\",
      "#",
      "\n",
      " ",
      "app",
      "service_name",
      "=",
      "=~",
      "!=",
      ",",
      "|=",
      "|~",
      "|",
      "json",
      "[5m]",
      "[",
      "]",
      "rate(",
      "sum(",
      ")",
      "/*",
      "*/",
      "//",
      '"x"',
      '"checkout"',
      "`y`",
      '"\\""',
      '"}"',
      '"{a=\\"b\\"}"',
      '{app="a"}',
      " or ",
    ),
    value,
  );

  it("random LogQL-ish text: rejected, or every selector Loki would see is scoped", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 24 }), (parts) => {
        if (checkScoped(parts.join("")) === "accepted") accepted++;
      }),
      { numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(100); // about 6% of random inputs are valid LogQL
  });

  const literalOf = (v: string, style: number) => {
    const raw = quoteBacktick(v);
    return style === 1 && raw !== undefined ? raw : JSON.stringify(v);
  };
  const validQuery = fc
    .record({
      app: value.filter((v) => v !== ""),
      other: value,
      line: value,
      comment: value.map((c) => c.replace(/[\n\0]/g, " ")),
      style: fc.integer({ min: 0, max: 1 }),
      shape: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ app, other, line, comment, style, shape }) => {
      const sel = `{app=${literalOf(app, style)}, env!=${literalOf(other, 1 - style)}}`;
      const log = `${sel} |= ${literalOf(line, style)} # ${comment}\n`;
      const q =
        shape === 0
          ? log
          : shape === 1
            ? `sum by (app) (rate(${log}[5m]))`
            : `count_over_time(${log}[1m]) / count_over_time(${sel}[1m])`;
      return { q, app, other };
    });

  it("valid queries with arbitrary values: accepted, scoped, and the caller's matchers kept exactly", () => {
    fc.assert(
      fc.property(validQuery, ({ q, app, other }) => {
        expect(checkScoped(q)).toBe("accepted");
        const sels = lokiSelectors(lokiLex(scopeRawQuery(q, required).logql) ?? []);
        expect(sels.length).toBeGreaterThan(0);
        for (const ms of sels) {
          expect(ms).toEqual([required[0], eq("app", app), { label: "env", op: "!=", value: other }]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
