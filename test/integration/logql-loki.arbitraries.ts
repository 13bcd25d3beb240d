import fc from "fast-check";
import { quote, quoteBacktick } from "../../src/logql/index.ts";
import type { LokiQueryData } from "../../src/loki/schemas.ts";

/*
 * Generators and small helpers for logql-loki.test.ts. Nothing here imports
 * the code under test except `quote`/`quoteBacktick`, which the raw-query
 * generator uses to write valid literals next to deliberately broken ones.
 */

/** Characters and sequences that break naive escaping, or that Go and JS treat differently. */
export const SPECIALS = [
  '"',
  "\\",
  "`",
  "\n",
  "\r",
  "\t",
  "}",
  "{",
  "|",
  "#",
  "=",
  "~",
  "!",
  " ",
  "'",
  "\0",
  "\x07",
  "\x1b",
  "\x7f",
  "\u0085", // C1 NEL
  "\u00a0", // no-break space: Go escapes it, quote() keeps it
  "\u00ff",
  "\u0301", // combining acute accent
  "e\u0301",
  "\u200b",
  "\u200d",
  "\u2028",
  "\u2029",
  "\u202e", // bidi override
  "\ufeff", // BOM
  "\ufffd",
  "\ufffe",
  "\uffff",
  "\ue000", // private use
  "\u{10ffff}",
  "\u{e0001}",
  "😀",
  "👩\u200d👩\u200d👧",
  "🇫🇷",
  "👍🏽",
  "日本語",
  "ﷺ",
  "\\x41",
  "\\u0041",
  "\\n",
  '\\"',
  '"}',
  '{run=~".+"}',
  " or ",
  "|=",
  "$",
  "%",
  "${",
  "{{.run}}",
] as const;

const specialUnit = fc.constantFrom(...SPECIALS);

/** One "character" of a value: heavily biased towards SPECIALS, then any code point, grapheme, or printable ASCII. */
export const valueUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: specialUnit },
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
);

/** Any well-formed string, biased to the troublesome characters (may be empty). */
export const valueArb: fc.Arbitrary<string> = fc.string({ unit: valueUnit, maxLength: 40 });

const utf8 = new TextEncoder();

/**
 * Values Loki accepts as stream label values and structured metadata: not
 * empty (an empty label is "no label"), at most 2048 bytes
 * (max_label_value_length), and without U+FFFD (Loki's push path refuses it
 * in labels and turns it into a space in structured metadata).
 */
export const storableValueArb: fc.Arbitrary<string> = fc
  .string({ unit: valueUnit, minLength: 1, maxLength: 24 })
  .filter((v) => !v.includes("\ufffd") && utf8.encode(v).length <= 2048);

/** Go's regexp.QuoteMeta: the RE2 regex that matches exactly `s`. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/**
 * Decodes a literal as printed by Loki's formatter (Go strconv.Quote: only
 * double quotes, escapes \a \b \f \n \r \t \v \\ \" \xNN \uNNNN \UNNNNNNNN).
 * Written independently of src/logql's unquoteLiteral on purpose.
 */
export function decodeGoQuoted(lit: string): string {
  if (!lit.startsWith('"') || !lit.endsWith('"') || lit.length < 2) throw new Error(`not a Go literal: ${lit}`);
  const simple: Record<string, string> = {
    a: "\x07",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
    "\\": "\\",
    '"': '"',
  };
  return lit
    .slice(1, -1)
    .replace(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))/gsu, (_m, x, u, U, c: string) => {
      const hex = x ?? u ?? U;
      if (hex !== undefined) {
        const cp = Number.parseInt(hex, 16);
        if (x !== undefined && cp >= 0x80) throw new Error(`\\x escape of a non-ASCII byte in ${lit}`);
        return String.fromCodePoint(cp);
      }
      const s = simple[c];
      if (s === undefined) throw new Error(`unexpected escape \\${c} in ${lit}`);
      return s;
    });
}

/** Every double-quoted literal in Loki's formatter output, decoded, in order. */
export function goLiterals(formatted: string): string[] {
  return (formatted.match(/"(?:[^"\\\n]|\\.)*"/gsu) ?? []).map(decodeGoQuoted);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A query result in a canonical form (order-independent, stats dropped) for comparing two tenants. */
export function normalizeResult(d: LokiQueryData): unknown {
  const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  switch (d.resultType) {
    case "streams":
      return {
        type: "streams",
        streams: d.result.map((s) => ({ stream: s.stream, values: [...s.values].sort(byJson) })).sort(byJson),
      };
    case "matrix":
      return { type: "matrix", series: d.result.map((s) => ({ metric: s.metric, values: s.values })).sort(byJson) };
    case "vector":
      return { type: "vector", samples: d.result.map((s) => ({ metric: s.metric, value: s.value })).sort(byJson) };
    case "scalar":
      return { type: "scalar", value: d.result };
  }
}

// ---------- raw LogQL from pieces, for the scoping property ----------

export interface RawContext {
  /** The run the caller is scoped to. */
  self: string;
  /** Another run in the same tenant whose lines must never be reachable. */
  other: string;
}

/** A literal for `v`: usually valid (double-quoted or backtick), sometimes pasted raw (may be invalid). */
function literalArb(v: string): fc.Arbitrary<string> {
  const raw = quoteBacktick(v);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(quote(v)) },
    { weight: 2, arbitrary: fc.constant(raw ?? quote(v)) },
    { weight: 1, arbitrary: fc.constant(`"${v}"`) },
    { weight: 1, arbitrary: fc.constant(`\`${v}\``) },
  );
}

/** Text that tries to end a string, open a selector or start a comment where it should not. */
export const INJECTIONS = [
  '"} or {run=~".+"}',
  '"}|={run=~".+"',
  "`} {run=~`.+`",
  '\\"} or {run=~\\".+\\"}',
  '"} # ',
  "\n}",
  "} or {",
  "#",
  "{",
  "}",
  '"',
  "`",
  "\\",
  "'",
  "//",
  "/*",
] as const;

export function rawQueryArb(ctx: RawContext): fc.Arbitrary<string> {
  const { self, other } = ctx;
  const labelNameArb = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("run", "app", "service_name") },
    { weight: 1, arbitrary: fc.constantFrom("secret", "trace_id", "detected_level") },
  );
  const matchValueArb = fc.oneof(
    // values that do select streams (ours or the others')
    {
      weight: 6,
      arbitrary: fc.constantFrom(self, other, "api", "web", ".+", `${self}.*`, `${self}|${other}`, "a.*|w.*"),
    },
    { weight: 3, arbitrary: fc.constantFrom(`${self}_evil`, "yes", ".*", "", "a.*|") },
    { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 1, arbitrary: fc.string({ unit: specialUnit, maxLength: 4 }) },
  );
  const lit = (values: fc.Arbitrary<string>) => values.chain(literalArb);
  const ws = fc.constantFrom("", " ", " ", " ", "\n", "\t", ' # c {run=~".+"}\n', "\r\n");
  const op = fc.constantFrom("=", "!=", "=~", "!~");
  const anyMatcher = fc
    .tuple(labelNameArb, ws, op, ws, lit(matchValueArb))
    .map(([name, a, o, b, v]) => `${name}${a}${o}${b}${v}`);
  /** Matchers that select our streams, or that bait the others' (run="other", secret="yes", run=~"self.*"). */
  const likelyMatcher = fc.constantFrom(
    `run="${self}"`,
    'app="api"',
    'app=~"a.*|w.*"',
    'run=~".+"',
    'service_name=~".+"',
    'app!="x"',
    `run!~"${other}"`,
    'secret!="yes"',
    `run="${other}"`,
    'secret="yes"',
    `run=~"${self}.*"`,
    'run=~".*"',
  );
  const matcher = fc.oneof({ weight: 3, arbitrary: likelyMatcher }, { weight: 2, arbitrary: anyMatcher });
  const selector = fc.oneof(
    {
      weight: 20,
      arbitrary: fc
        .tuple(fc.array(matcher, { minLength: 1, maxLength: 2 }), ws)
        .map(([ms, w]) => `{${ms.join(`,${w}`)}}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("{", "}", "{}", `{run="${other}"`, `{run="${other}"}}`, `{{run="${other}"}}`),
    },
  );
  const filterValueArb = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("self", "other", "evil", "norun", "level=info", "json", "", " ") },
    { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 1, arbitrary: fc.string({ unit: specialUnit, maxLength: 5 }) },
  );
  const comment = fc
    .string({ unit: fc.constantFrom(...INJECTIONS, "x", " ", `run="${other}"`), maxLength: 5 })
    .map((s) => `# ${s.replaceAll("\n", " ")}\n`);
  const stage = fc.oneof(
    fc.constantFrom('|= "self"', '!= "other"', '|~ "s.l."', '|= "level=info" or "json"', '!= "zzz"', '|~ "(?i)SELF"'),
    lit(filterValueArb).map((l) => `|= ${l}`),
    lit(filterValueArb).map((l) => `!= ${l}`),
    lit(filterValueArb).map((l) => `|~ ${l}`),
    fc.tuple(lit(filterValueArb), lit(filterValueArb)).map(([a, b]) => `|= ${a} or ${b}`),
    fc.constantFrom(
      "| json",
      "| logfmt",
      "| unpack",
      "| decolorize",
      `| label_format run="${other}"`,
      "| label_format app=run",
      "| drop run",
      "| keep app, run",
      '| line_format "{{.run}} {{__line__}}"',
      `| run="${other}"`,
      '| run=~".+"',
      '| detected_level="info"',
      '| trace_id=~"t.*"',
      '| msg=~"self.*"',
    ),
    comment,
  );
  const logQuery = fc
    .tuple(selector, fc.array(fc.tuple(ws, stage), { maxLength: 4 }))
    .map(([s, stages]) => s + stages.map(([w, st]) => `${w || " "}${st}`).join(""));
  const range = fc.constantFrom("[1m]", "[5m]", "[10m]", "[1h]");
  const rangeFn = fc.constantFrom("count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time");
  const { metric } = fc.letrec<{ metric: string; range: string; vector: string; binary: string }>((tie) => ({
    metric: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("range"), tie("vector"), tie("binary")),
    range: fc.tuple(rangeFn, logQuery, range).map(([f, q, r]) => `${f}(${q}${r})`),
    vector: fc.oneof(
      fc
        .tuple(
          fc.constantFrom(
            "sum(%)",
            "sum by (run) (%)",
            "sum by (app, run) (%)",
            "count(%)",
            "max without (app) (%)",
            "min(%)",
            "avg by (service_name) (%)",
          ),
          tie("metric"),
        )
        .map(([tpl, m]) => tpl.replace("%", m)),
      // label_replace only over range aggregations: Loki 3.7.8 hangs on label_replace(1, ...)
      fc
        .tuple(
          fc.constantFrom(
            `label_replace(%, "run", "${self}", "run", ".*")`,
            `label_replace(%, "run", "${other}", "", "")`,
          ),
          tie("range"),
        )
        .map(([tpl, m]) => tpl.replace("%", m)),
    ),
    binary: fc
      .tuple(
        tie("metric"),
        fc.constantFrom(" or ", " and ", " unless ", " / ", " + ", " > ", " or on() ", " > bool ", "/"),
        // number literals only as an operand: Loki 3.7.8 answers aggregations of a bare literal,
        // e.g. label_replace(1, ...) or max without (app) (1), with a 500 after ~17 s
        fc.oneof({ weight: 4, arbitrary: tie("metric") }, { weight: 1, arbitrary: fc.constantFrom("1", "vector(1)") }),
      )
      .map(([a, o, b]) => `${a}${o}${b}`),
  }));
  const base = fc.oneof({ weight: 5, arbitrary: logQuery }, { weight: 5, arbitrary: metric });
  const noise = fc.constantFrom(...INJECTIONS, `{run="${other}"}`, ",", "(", ")", "[", "]", "ü", "\r", "or", "\u2028");
  const mutated = fc
    .tuple(base, fc.nat(), noise)
    .map(([q, at, n]) => `${q.slice(0, at % (q.length + 1))}${n}${q.slice(at % (q.length + 1))}`);
  return fc.oneof({ weight: 8, arbitrary: base }, { weight: 2, arbitrary: mutated });
}
