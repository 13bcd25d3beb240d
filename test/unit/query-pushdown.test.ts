import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { checkRegex, containsAnyCase, eq, regexLiteral, render } from "../../src/logql/index.ts";
import { LEVEL_KEYS, LEVEL_WORDS, parseLine } from "../../src/query/lines.ts";
import { buildLogQueries, keepLine, type Mode, modeLegs, shownLogql } from "../../src/query/modes.ts";
import { levelWords, minimalWords, PROBLEM_LEVELS } from "../../src/query/pushdown.ts";
import { type Entry, legsSelecting } from "./helpers/legs.ts";

const FILTERING = ["troubleshoot", "errors", "audit"] as const;
const kept = (mode: Mode, e: Entry) =>
  keepLine(mode, parseLine({ line: e.line, labels: e.labels ?? {}, metadata: e.metadata ?? {} }), e.line);
const selected = (mode: Mode, e: Entry) => legsSelecting(modeLegs(mode, "precise")!, e);

/** The property: Loki never filters out a line the mode keeps, and no line is read twice. */
function assertSuperset(mode: Mode, e: Entry) {
  const legs = selected(mode, e);
  if (kept(mode, e)) expect(legs.length, `${mode} must push down ${JSON.stringify(e)}`).toBeGreaterThan(0);
  expect(legs.length, `${mode} legs overlap on ${JSON.stringify(e)}`).toBeLessThanOrEqual(1);
}

const LINES = [
  '{"level":"error","msg":"call to inventory failed: timeout after 3000ms"}',
  '{"level":"ERROR","msg":"x"}',
  '{"level":"eRRoR","msg":"x"}',
  '{"severity":"Warning","message":"retrying"}',
  '{"lvl":"crit","msg":"disk"}',
  '{"levelname":"CRITICAL","msg":"lost quorum"}',
  '{"level":50,"time":1,"msg":"db connection lost"}',
  '{"level":60,"msg":"out of memory"}',
  '{"level":40,"msg":"slow disk"}',
  '{"level": 50, "msg": "python json.dumps spacing"}',
  '{"level":30,"msg":"all fine"}',
  '{"level":3,"msg":"syslog error"}',
  '{"level":-1,"msg":"odd"}',
  '{"level":1e2,"msg":"exponent"}',
  '{"loglevel":55,"msg":"x"}',
  'lvl=eror msg="db connection lost"',
  "level=Warn msg=x",
  'level=info msg="request timeout configured to 30s"',
  "2026-11-24T14:05:00Z ERROR call to inventory-db failed: connection refused",
  "2026-11-24T14:05:00Z INFO reserve_items completed duration_ms=12",
  "info: ERROR occurred while reading",
  "dial tcp 10.0.0.7:5432: connect: connection refused",
  "upstream timed out (110: Connection timed out)",
  "GET /api/orders 503 12ms",
  "GET /api/orders (503)",
  "503 at the start",
  'proxy status="503"',
  "http code:502",
  "GET /api/orders 200 12ms",
  "Printing stack trace for request 42",
  "java.lang.IllegalStateException: pool closed",
  "Traceback (most recent call last):",
  "too many open files",
  "could not acquire lock",
  "read: connection reset by peer",
  "user alice logged in from 10.0.0.4",
  '{"level":"info","msg":"API key created","actor":"bob"}',
  "role admin granted to carol",
  "configuration changed: max_conns 20 -> 50",
  "request unauthorized: missing bearer",
  "payment declined",
  "cache hit ratio 0.97",
];

const LABELS: Array<Pick<Entry, "labels" | "metadata">> = [
  {},
  { metadata: { detected_level: "info" } },
  { metadata: { detected_level: "error" } },
  { metadata: { detected_level: "unknown" } },
  { metadata: { level: "ERROR" } },
  { metadata: { severity: " warning " } },
  { labels: { level: "fatal" } },
  { labels: { level: "info" }, metadata: { detected_level: "info" } },
  { labels: { severity: "eror" } },
];

describe("the legs are a superset of keepLine and disjoint", () => {
  for (const mode of FILTERING) {
    it(`${mode}: every kept line of every format and level source is pushed down`, () => {
      let keptCount = 0;
      for (const line of LINES) {
        for (const labels of LABELS) {
          const e = { line, ...labels };
          if (kept(mode, e)) keptCount++;
          assertSuperset(mode, e);
        }
      }
      expect(keptCount, "the corpus exercises the mode").toBeGreaterThan(20);
    });
  }

  it("lines whose level lives only in a label or structured metadata are read by the level leg", () => {
    const sources: Array<Pick<Entry, "labels" | "metadata">> = [
      { metadata: { level: "error" } },
      { metadata: { detected_level: "warn" } },
      { labels: { severity: "CRITICAL" } },
    ];
    for (const labels of sources) {
      const e = { line: "payment declined", ...labels };
      expect(kept("troubleshoot", e)).toBe(true);
      expect(selected("troubleshoot", e)).toEqual([0]);
    }
  });

  it("a line only a keyword reveals is read by the keyword leg, labelled unknown or not at all", () => {
    for (const metadata of [{ detected_level: "unknown" }, {}] as Array<Record<string, string>>) {
      const e = { line: "dial tcp 10.0.0.7:5432: connect: connection refused", metadata };
      expect(kept("troubleshoot", e)).toBe(true);
      expect(selected("troubleshoot", e)).toEqual([2]);
    }
  });

  it("Loki's detected level is the authority: a line it placed at info is info, whatever its own field says", () => {
    // (the real Loki 3.7.8 places each of these lines at error or warn itself: see query-pushdown integration)
    const info = { line: "connection refused (info: retrying)", metadata: { detected_level: "info" } };
    expect(kept("troubleshoot", info)).toBe(false);
    expect(selected("troubleshoot", info)).toEqual([]);
    for (const line of [
      '{"level":50,"msg":"could not load user info"}',
      'lvl=eror msg="user info missing"',
      '{"severity": " Warning ","msg":"x"}',
      'ts=1 level="CRIT" msg=x',
    ]) {
      expect(kept("troubleshoot", { line, metadata: { detected_level: "info" } }), line).toBe(false);
      expect(kept("troubleshoot", { line, metadata: { detected_level: "error" } }), line).toBe(true);
      // without a detection (or a value Loki does not write), the line's own field decides, and a leg reads it
      for (const metadata of [{}, { detected_level: "unknown" }, { detected_level: "ERROR" }] as Array<
        Record<string, string>
      >) {
        const e = { line, metadata };
        expect(kept("troubleshoot", e), line).toBe(true);
        expect(selected("troubleshoot", e).length, line).toBe(1);
      }
    }
  });

  it("quiet lines are read by no leg", () => {
    for (const mode of FILTERING) {
      expect(selected(mode, { line: "GET /api/orders 200 12ms", metadata: { detected_level: "info" } })).toEqual([]);
    }
  });

  it("every numeric JSON level, under every level key, that reads as a problem is pushed down", () => {
    const numbers = [
      ...Array.from({ length: 130 }, (_, i) => String(i - 5)),
      "0.5",
      "2.5",
      "3.5",
      "4.0",
      "39.9",
      "45.5",
      "1e2",
      "5E1",
      "4.5e1",
      "1000",
      "-0",
    ];
    for (const key of LEVEL_KEYS) {
      for (const n of numbers) {
        for (const sep of [":", ": ", " : "]) {
          const line = `{"${key}"${sep}${n},"msg":"x"}`;
          for (const mode of ["troubleshoot", "errors"] as const) assertSuperset(mode, { line });
        }
      }
    }
    // pino's info and debug lines are not read
    expect(selected("troubleshoot", { line: '{"level":30,"msg":"x"}' })).toEqual([]);
    expect(selected("errors", { line: '{"level":40,"msg":"x"}' })).toEqual([]);
  });
});

const KEYWORDS = [
  ...Object.keys(LEVEL_WORDS),
  "exception",
  "failed",
  "failure",
  "fail",
  "traceback",
  "stack trace",
  "stacktrace",
  "timeout",
  "timed out",
  "deadline",
  "refused",
  "unavailable",
  "unreachable",
  "exhausted",
  "access denied",
  "expired",
  "reset by peer",
  "too many",
  "rejected",
  "cannot",
  "could not",
  "unable",
  "login",
  "sign in",
  "unauthorised",
  "api-key",
  "token revoked",
  "configuration reloaded",
  "setting changed",
  "sudo",
  "2fa",
  "status",
  "code",
  "level",
  "503",
  "599",
  "200",
  "50",
  "GET",
  "/api/orders",
  "12ms",
  "ok",
];
const SEPARATORS = [" ", ":", "=", "/", "(", ")", '"', ",", ";", "[", "]", ": ", '="'];

const caseOf = (word: string, mask: number[]) =>
  [...word].map((ch, i) => ((mask[i % mask.length] ?? 0) % 3 === 0 ? ch.toUpperCase() : ch.toLowerCase())).join("");

const textArb = fc
  .array(
    fc.tuple(
      fc.constantFrom(...KEYWORDS),
      fc.array(fc.nat(5), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...SEPARATORS),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.map(([w, mask, sep]) => caseOf(w, mask) + sep).join(""));

const levelValueArb = fc.oneof(
  fc.constantFrom(...Object.keys(LEVEL_WORDS), "unknown", "50", ""),
  fc
    .tuple(fc.constantFrom(...Object.keys(LEVEL_WORDS)), fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }))
    .map(([w, m]) => caseOf(w, m)),
);

const lineArb = fc.oneof(
  textArb,
  fc
    .tuple(
      fc.constantFrom(...LEVEL_KEYS),
      fc.oneof(
        levelValueArb.map((v) => JSON.stringify(v)),
        fc.double({ min: -10, max: 200, noNaN: true }).map(String),
        fc.integer({ min: -5, max: 120 }).map(String),
      ),
      textArb,
    )
    .map(([k, v, msg]) => `{"${k}":${v},"msg":${JSON.stringify(msg)}}`),
  fc
    .tuple(fc.constantFrom(...LEVEL_KEYS), levelValueArb, textArb)
    .map(([k, v, msg]) => `${k}=${v} msg=${JSON.stringify(msg)}`),
);

const labelsArb = fc.record(
  {
    labels: fc.record({ level: levelValueArb, severity: levelValueArb }, { requiredKeys: [] }),
    metadata: fc.record({ detected_level: levelValueArb, level: levelValueArb }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

describe("fuzzed lines: keepLine ⊆ the legs' union, legs disjoint", () => {
  for (const mode of FILTERING) {
    it(mode, () => {
      let keptCount = 0;
      fc.assert(
        fc.property(lineArb, labelsArb, (line, labels) => {
          const e = { line, ...labels };
          if (kept(mode, e)) keptCount++;
          assertSuperset(mode, e);
        }),
        { seed: 1010, numRuns: 3000 },
      );
      expect(keptCount).toBeGreaterThan(300);
    });
  }
});

describe("fuzzed lines: the fast read (Loki's detected level) is a superset of keepLine too", () => {
  const detectedArb = fc.constantFrom(
    undefined,
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "critical",
    "fatal",
    "unknown",
    "ERROR",
    "notice",
    "",
  );
  for (const mode of ["troubleshoot", "errors"] as const) {
    it(mode, () => {
      let keptCount = 0;
      fc.assert(
        fc.property(lineArb, labelsArb, detectedArb, fc.boolean(), (line, labels, detected, asLabel) => {
          const e: Entry = { line, labels: { ...labels.labels }, metadata: { ...labels.metadata } };
          if (detected !== undefined) (asLabel ? e.labels! : e.metadata!)["detected_level"] = detected;
          const fast = legsSelecting(modeLegs(mode, "fast")!, e);
          if (kept(mode, e)) {
            keptCount++;
            expect(fast, `${mode} fast read must take ${JSON.stringify(e)}`).toEqual([0]);
          }
        }),
        { seed: 2020, numRuns: 3000 },
      );
      expect(keptCount).toBeGreaterThan(300);
    });
  }
});

describe("what Loki runs fast", () => {
  // A `(?i)` literal runs as a case-folding substring search; a regex that starts with a literal of
  // two or more characters (or ^) lets Go skip to that literal. Anything else runs the regex engine on every byte.
  const META = /[\\.+*?()|[\]{}^$]/;
  const fast = (value: string) => {
    if (value.startsWith("(?i)")) return !META.test(value.slice(4).replace(/\\[\\.+*?()|[\]{}^$]/g, ""));
    if (value.startsWith("^")) return true;
    const prefix = value.match(/^(?:[^\\.+*?()|[\]{}^$]|\\[\\.+*?()|[\]{}^$])*/)?.[0] ?? "";
    return prefix.replace(/\\/g, "").length >= 2;
  };

  for (const mode of ["troubleshoot", "errors", "audit", "performance"] as const) {
    it(`${mode}: every line filter value is a literal or starts with one, and is valid RE2`, () => {
      for (const leg of modeLegs(mode, "precise")!) {
        for (const stage of leg) {
          if (stage.kind !== "line_filter") continue;
          for (const v of stage.values) {
            expect(fast(v), v).toBe(true);
            expect(() => checkRegex(v)).not.toThrow();
          }
        }
      }
    });
  }

  it("level legs are a label filter, then (for the other lines) the label's complement and the words", () => {
    const [byLevel, byWord] = modeLegs("troubleshoot", "precise")!;
    expect(byLevel!.map((s) => s.kind)).toEqual(["label_filter"]);
    expect(byWord!.map((s) => s.kind)).toEqual(["label_filter", "line_filter"]);
  });
});

describe("buildLogQueries", () => {
  it("renders one query per leg, the shared filters first", () => {
    const queries = buildLogQueries(
      [eq("service_name", "checkout")],
      "service_name",
      "troubleshoot",
      { contains: ["timeout"] },
      "precise",
    ).map((q) => render(q));
    expect(queries).toHaveLength(3);
    const trim = "[\\\\s\\\\v\\\\p{Z}\\\\x{FEFF}]*";
    const problem = `(?i)${trim}(?:fatal|panic|critical|crit|emerg|alert|error|err|eror|warn|warning)${trim}`;
    const labels = [
      "level",
      "detected_level",
      "severity",
      "level_extracted",
      "detected_level_extracted",
      "severity_extracted",
    ];
    expect(queries[0]).toBe(
      `{service_name="checkout"} |= "timeout" | ${labels.map((l) => `${l}=~"${problem}"`).join(" or ")}`,
    );
    const notProblem = labels.map((l) => `${l}!~"${problem}"`).join(" and ");
    const other = `(?i)${trim}(?:info|information|notice|debug|dbug|trace)${trim}`;
    const field = (key: string) =>
      `"${key}\\"?\\\\s*[:=]\\\\s*(?:(?:\\"[^\\"]*|[^\\\\s\\"]*)(?i:alert|crit|emerg|eror|err|fatal|panic|warn)|-|[0-4][^0-9]|[4-9][0-9]|[0-9]{3}|[0-9][0-9.]*[eE])"`;
    const fields = ["level", "severity", "lvl", "levelname"].map(field).join(" or ");
    expect(queries[1]).toBe(
      `{service_name="checkout"} |= "timeout" | ${notProblem} and (${["level", "detected_level", "severity"].map((l) => `${l}=~"${other}"`).join(" or ")}) |~ ${fields}`,
    );
    expect(queries[2]).toContain(
      `{service_name="checkout"} |= "timeout" | ${notProblem} and ${["level", "detected_level", "severity"].map((l) => `${l}!~"${other}"`).join(" and ")} |~ "(?i)alert" or "(?i)cannot" or `,
    );
    expect(queries[2]).toContain(` or ${fields} or " 5[0-9]{2}" or `);
  });

  it("an answer shows one query as it is, several by their shared part and a comment", () => {
    expect(shownLogql("audit", ['{a="1"} |~ "(?i)x"'], '{a="1"}')).toBe('{a="1"} |~ "(?i)x"');
    const shown = shownLogql("troubleshoot", ["q1", "q2", "q3"], '{a="1"} |= "t"');
    expect(shown).toMatch(/^\{a="1"\} \|= "t" # mode=troubleshoot: 3 disjoint legs/);
    expect(shown.length).toBeLessThan(250);
  });

  it("reads everything in one query for modes without a pushdown", () => {
    for (const mode of ["raw", "conversation", undefined] as const) {
      expect(buildLogQueries([], "app", mode, {}).map((q) => render(q))).toEqual(['{app=~".+"}']);
    }
  });

  it("audit and performance read one leg of case-folded words", () => {
    const [audit] = buildLogQueries([eq("app", "x")], "app", "audit", {}).map((q) => render(q));
    expect(audit).toMatch(/^\{app="x"\} \|~ "\(\?i\)2fa" or "\(\?i\)admin" or /);
    expect(buildLogQueries([eq("app", "x")], "app", "performance", {}).map((q) => render(q))).toEqual([
      '{app="x"} |~ "(?i)_ms\\"" or "(?i)_ms=" or "(?i)duration" or "(?i)elapsed" or "(?i)latency" or "(?i)response_time" or "(?i)slow" or "(?i)time_ms" or "(?i)took"',
    ]);
  });
});

describe("word lists", () => {
  it("levelWords are the words lines.ts reads as those levels", () => {
    const words = levelWords(PROBLEM_LEVELS);
    for (const [word, level] of Object.entries(LEVEL_WORDS)) {
      expect(words.includes(word), word).toBe(PROBLEM_LEVELS.includes(level));
    }
  });

  it("containsAnyCase escapes every RE2 metacharacter, so each word matches literally in any case", () => {
    const words = ["a.b", "(x)|[y]", "1+1*2?", "^$\\{3}", "plain"];
    const stage = containsAnyCase(...words);
    expect(stage).toMatchObject({ kind: "line_filter", op: "|~" });
    stage.values.forEach((v, i) => {
      const word = words[i]!;
      expect(RE2JS.compile(v).matcher(`say ${word.toUpperCase()} now`).find(), v).toBe(true);
      expect(
        RE2JS.compile(v)
          .matcher(word.replace(/[^a-z0-9]/gi, ""))
          .find(),
        v,
      ).toBe(word === "plain");
    });
    expect(regexLiteral("a.b")).toBe("a\\.b");
  });

  it("minimalWords drops words that contain another, lower-cases and sorts", () => {
    expect(minimalWords(["Error", "err", "warning", "warn", "fatal", "err"])).toEqual(["err", "fatal", "warn"]);
  });
});
