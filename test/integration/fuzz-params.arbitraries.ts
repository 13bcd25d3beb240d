import fc from "fast-check";
import { CATEGORIES, SEVERITIES } from "../../src/patterns/library/index.ts";
import { LEVELS } from "../../src/query/schemas.ts";

/*
 * Generators of query parameters for fuzz-params.test.ts: valid values, edge
 * values (huge numbers, 400 nines, far times, NaN, empty, unicode, very long
 * strings), repeated parameters, injection attempts and forged cursors.
 */

export type Params = Record<string, string | string[]>;

const NINES = "9".repeat(400);
/** Services seeded by the suite (and a name nobody has). */
export const SEEDED = ["fz-a", "fz-b", "fz-c"] as const;

/** Strings that break naive escaping, parsing or encoding. */
const NASTY = [
  "",
  " ",
  ",",
  ",,,",
  '"',
  "'",
  "`",
  "\\",
  "\\\\",
  "{",
  "}",
  "|",
  "\n",
  "\r\n",
  "\t",
  "\u0000",
  "%",
  "%00",
  "%zz",
  "&",
  "=",
  "+",
  "#",
  "?",
  "\u202e",
  "\u200b",
  "\ufeff",
  "\ud800",
  "😀",
  "é",
  "e\u0301",
  "１５ｍ",
  "٥",
  "null",
  "undefined",
  "[object Object]",
  "__proto__",
  "constructor",
  "NaN",
  "Infinity",
  "-Infinity",
  "true",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, on purpose
  "${jndi:ldap://x/a}",
  "{{.}}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "' OR 1=1 --",
];

/** Attempts to break out of a quoted LogQL literal or a selector. */
const INJECTION = [
  '"} |= "',
  '"} or {service_name=~".+"}',
  '") |~ ".*',
  'x"} | line_format "{{.__error__}}',
  "`} |= `",
  ".+",
  ".*",
  "(a+)+$",
  '\\"',
  "\\",
  '"\\',
  '{service_name=~".+"}',
  '| json | line_format "{{ .msg }}"',
  'sum(rate({x="y"}[5m]))',
];

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
);
const longText = fc
  .tuple(
    fc.constantFrom("a", "é", "😀", "\u0000", '"', "\\", "%", "9", ".", "@", "-"),
    fc.constantFrom(257, 1025, 5120, 20_000),
  )
  .map(([c, n]) => c.repeat(n));
const nasty = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY, ...INJECTION), weight: 3 },
  { arbitrary: text, weight: 2 },
  longText,
);

/** Numbers as text: valid, bounds ±1, huge, fractional, hex, exponent, NaN, unicode digits. */
export const numberText = (valid: readonly number[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid.map(String)), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        "0",
        "-1",
        "-0",
        "+5",
        "1.5",
        "1e3",
        "1e308",
        "1e400",
        "0x10",
        "0b11",
        " 100",
        "100 ",
        "00100",
        "9007199254740993",
        NINES,
        `-${NINES}`,
        "Infinity",
        "NaN",
        "١٠٠",
        "１００",
      ),
      weight: 3,
    },
    fc.integer().map(String),
    fc.double().map(String),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
    nasty,
  );

const units = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "w", "y", "x", ""] as const;

/** Durations: small valid ones, the 7 d maximum and just over, and hostile ones. */
export const duration = fc.oneof(
  { arbitrary: fc.constantFrom("30s", "1m", "5m", "10m", "15m"), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      "1h",
      "7d",
      "168h",
      "7d1ms",
      "8d",
      "1y",
      "0s",
      "0",
      "1ns",
      "1ms",
      "-5m",
      "5m-",
      "1.5h",
      "1e3h",
      "1h30m",
      "300000y",
      `${NINES}`,
      `${NINES}ms`,
      `${NINES}y`,
      "5m\u0000",
      "NaNm",
      "Infinityh",
      "m",
    ),
    weight: 4,
  },
  fc.tuple(fc.integer({ min: -10, max: 100_000 }), fc.constantFrom(...units)).map(([n, u]) => `${n}${u}`),
  nasty,
);

/** Times relative to `nowMs`: now-…, durations, RFC3339, unix s/ms/ns, and hostile ones. */
export function time(nowMs: number) {
  const at = (ms: number) => nowMs - ms;
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "now",
        "now-5m",
        "now-10m",
        new Date(at(300_000)).toISOString(),
        String(Math.floor(at(300_000) / 1000)),
        String(at(300_000)),
        `${at(300_000)}000000`,
      ),
      weight: 4,
    },
    duration.map((d) => `now-${d}`),
    duration,
    {
      arbitrary: fc.constantFrom(
        `now-${NINES}`,
        "now-300000y",
        "now+5m",
        "now-",
        "now--5m",
        "NOW",
        "1",
        "99999999999",
        "9".repeat(19),
        "9".repeat(20),
        "1.9999999999999",
        "1970-01-01T00:00:00Z",
        "0001-01-01",
        "0000-00-00",
        "9999-12-31T23:59:59Z",
        "+275760-09-13T00:00:00Z",
        "2026-02-30",
        "2026-13-01T00:00:00Z",
        "2026-01-01T25:61:61Z",
        "2026-01-01T00:00:00+99:99",
        "2026-01-01T00:00:00.1234567891234Z",
        "Tue, 01 Jan 2026 00:00:00 GMT",
      ),
      weight: 3,
    },
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.integer({ min: 0, max: 2 ** 31 }).map(String),
    nasty,
  );
}

/** One value or a repeated parameter. */
const maybeRepeated = (value: fc.Arbitrary<string>): fc.Arbitrary<string | string[]> =>
  fc.oneof({ arbitrary: value, weight: 4 }, fc.array(value, { minLength: 2, maxLength: 4 }));

const oneOf = (valid: readonly string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 4 },
    fc.constantFrom(...valid).map((v) => v.toUpperCase()),
    nasty,
  );

/** A list parameter: allowed values, comma lists, unknown ones, repeated. */
const listOf = (valid: readonly string[]) =>
  maybeRepeated(
    fc.oneof(
      { arbitrary: fc.constantFrom(...valid), weight: 4 },
      fc.uniqueArray(fc.constantFrom(...valid), { minLength: 1, maxLength: 3 }).map((v) => v.join(",")),
      nasty,
    ),
  );

const service = listOf([...SEEDED, "shop/fz-a", "no-such-service"]);

/** Raw LogQL: valid log and metric queries, far ranges and offsets, match-alls, broken and hostile ones. */
export const logql = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '{service_name="fz-a"}',
      '{service_name="fz-a"} |= "error"',
      '{service_name=~"fz-.+"} | logfmt | level="error"',
      '{service_name="fz-b"} | json | line_format "{{.msg}}"',
      '{service_name="fz-c"} |~ "(?i)fail(ed|ure)"',
      '{service_name="fz-a"} | regexp "code=(?P<code>\\\\d+)"',
      '{service_name="fz-a"} | pattern "<_> msg=<msg>"',
      '{service_name="fz-a"} | decolorize',
      'count_over_time({service_name="fz-a"}[5m])',
      'sum by (service_name) (count_over_time({service_name=~"fz-.+"}[1m]))',
      'sum(rate({x="y"}[5m]))',
      'quantile_over_time(0.99, {service_name="fz-a"} | logfmt | unwrap duration_ms [5m]) by (service_name)',
      'absent_over_time({service_name="fz-a"}[5m])',
      'topk(3, sum by (service_name) (rate({service_name=~"fz-.+"}[5m])))',
    ),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(
      'count_over_time({service_name="fz-a"}[3650d] offset 3650d)',
      'count_over_time({service_name="fz-a"}[5m] offset 3650d)',
      'count_over_time({service_name="fz-a"}[3650d])',
      `rate({service_name="fz-a"}[${NINES}d])`,
      `topk(${NINES}, count_over_time({service_name="fz-a"}[5m]))`,
      'count_over_time({service_name="fz-a"}[1ns])',
      '{service_name=~".*"}',
      '{service_name=~".+"}',
      '{service_name!="x"}',
      "{}",
      '{a=""}',
      "vector(1)",
      "1+1",
      "max without (app) (1)",
      '{service_name="fz-a"',
      'sum(rate({a="1"}[1m',
      '{service_name="fz-a"} |~ "(a+)+$"',
      '{service_name="fz-a"} |~ "(unclosed"',
      '{service_name="fz-a"} |~ "a{1001}"',
      `{service_name="fz-a"} |= "${"a".repeat(5_000)}"`,
      `{service_name="fz-a"} ${"| json ".repeat(700)}`,
      'label_replace(count_over_time({service_name="fz-a"}[5m]), "x", "$1", "service_name", "(.*)")',
    ),
    weight: 3,
  },
  fc
    .array(
      fc.constantFrom(
        '{service_name="fz-a"}',
        "|=",
        "|~",
        '"x"',
        "[5m]",
        "sum(",
        ")",
        "by",
        "(",
        "json",
        "|",
        "offset 1h",
        "rate(",
      ),
      {
        maxLength: 8,
      },
    )
    .map((parts) => parts.join(" ")),
  nasty,
);

/** Regexes: valid, invalid, catastrophic for backtracking engines, RE2 limits. */
const regex = fc.oneof(
  { arbitrary: fc.constantFrom("err.*", "(?i)fail", "timeout|refused", "^level=error", "\\d{3}"), weight: 3 },
  fc.constantFrom(
    "(unclosed",
    "[",
    "*",
    "a**",
    "(a+)+$",
    "(a|a)*b",
    "(?P<x>a)(?P=x)",
    "(a)\\1",
    "(?=a)",
    "(?<=a)b",
    "a{1001}",
    "(a{1000}){1000}",
    "\\p{Greek}+",
    "\\C",
    "(?i)",
    ".".repeat(1024),
    ".".repeat(1025),
  ),
  nasty,
);

/** Cursors: garbage, base64 of forged payloads, and (added by the test) tampered real ones. */
export function cursor(real: readonly string[]) {
  const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const forged = fc
    .record({
      v: fc.constantFrom<unknown>(1, 2, "1", null),
      q: fc.constantFrom<unknown>("x", "", 1, null),
      ts: fc.constantFrom<unknown>("0", "1", NINES, "-1", "1e9", "", 0, null, "9".repeat(19)),
      seen: fc.constantFrom<unknown>(
        [],
        ["a"],
        Array.from({ length: 10_000 }, (_, i) => String(i)),
        "x",
        null,
      ),
    })
    .map(b64);
  return fc.oneof(
    forged,
    fc.base64String({ maxLength: 200 }),
    fc.constantFrom(
      "garbage",
      "",
      ".",
      "..",
      b64("null"),
      b64("[]"),
      b64("{"),
      `${"A".repeat(4096)}`,
      `${"A".repeat(4097)}`,
    ),
    ...(real.length ? [{ arbitrary: fc.constantFrom(...real), weight: 3 }] : []),
    nasty,
  );
}

/** An object of parameters: a few of `spec`'s keys (sometimes on top of `base`), plus an unknown one now and then. */
export function paramsOf(spec: Record<string, fc.Arbitrary<string | string[]>>, base: Params): fc.Arbitrary<Params> {
  const picked = fc
    .uniqueArray(fc.constantFrom(...Object.keys(spec)), { maxLength: 4 })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, spec[k]!]))) as fc.Arbitrary<Params>);
  const unknown = fc.option(
    fc
      .tuple(fc.constantFrom("x_unknown", "Mode", "since[]", "SERVICE", "__proto__", ""), maybeRepeated(nasty))
      .map(([k, v]): Params => ({ [k]: v })),
    { nil: undefined, freq: 8 },
  );
  return fc
    .tuple(fc.boolean(), picked, unknown)
    .map(([onBase, p, extra]) => ({ ...(onBase ? base : {}), ...p, ...(extra ?? {}) }));
}

/** Fragments appended to the query string as they are (bad percent-encoding, empty keys, stray separators). */
export const rawSuffix = fc.option(
  fc.constantFrom(
    "%",
    "%E0%A4%A",
    "%zz",
    "&&&",
    "=x",
    "&=",
    "&since",
    "&since=",
    "&mode==",
    "&since=%ff",
    "&service[]=x",
    `&${"a".repeat(20_000)}=1`,
  ),
  { nil: "", freq: 6 },
);

export function queryParams(nowMs: number, cursors: readonly string[]) {
  const t = time(nowMs);
  return {
    mode: maybeRepeated(oneOf(["troubleshoot", "errors", "performance", "audit", "conversation", "raw"])),
    service,
    level: listOf(LEVELS),
    start: maybeRepeated(t),
    end: maybeRepeated(t),
    since: maybeRepeated(duration),
    contains: maybeRepeated(fc.oneof({ arbitrary: fc.constantFrom("error", "timeout", "failed"), weight: 3 }, nasty)),
    regex: maybeRepeated(regex),
    trace_id: maybeRepeated(
      fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }), nasty),
    ),
    conversation_id: maybeRepeated(fc.oneof(fc.constantFrom("conv_1"), nasty)),
    workspace_id: maybeRepeated(fc.oneof(fc.constantFrom("ws_1"), nasty)),
    logql: maybeRepeated(logql),
    limit: maybeRepeated(numberText([1, 5, 100, 5000, 5001])),
    direction: maybeRepeated(oneOf(["backward", "forward"])),
    format: maybeRepeated(oneOf(["summary", "compact", "lines"])),
    max_tokens: maybeRepeated(numberText([199, 200, 1000, 4000, 200_000, 200_001])),
    cursor: maybeRepeated(cursor(cursors)),
  };
}

export function servicesParams(nowMs: number) {
  const t = time(nowMs);
  return { start: maybeRepeated(t), end: maybeRepeated(t), since: maybeRepeated(duration) };
}

export function patternsParams(nowMs: number) {
  const t = time(nowMs);
  return {
    category: listOf(CATEGORIES),
    severity: listOf(SEVERITIES),
    min_severity: maybeRepeated(oneOf(SEVERITIES)),
    service,
    start: maybeRepeated(t),
    end: maybeRepeated(t),
    since: maybeRepeated(duration),
    step: maybeRepeated(duration),
    level: listOf(LEVELS),
    max_tokens: maybeRepeated(numberText([199, 200, 1000, 4000, 200_000, 200_001])),
    include_loki: maybeRepeated(oneOf(["true", "false"])),
  };
}

/** /health takes no parameters: anything sent must be ignored. */
export const healthParams = fc.dictionary(
  fc.oneof(fc.constantFrom("since", "mode", "verbose"), text),
  maybeRepeated(nasty),
  {
    maxKeys: 3,
  },
);
