import { describe, expect, it } from "vitest";
import { checkRegex, eq, LogqlError, re, render } from "../../src/logql/index.ts";
import { parseLine } from "../../src/query/lines.ts";
import { buildLogQueries, filterStages, keepLine, MODES, type Mode, modeLegs, TEXT } from "../../src/query/modes.ts";
import { legsSelecting } from "./helpers/legs.ts";

const parse = (line: string) => parseLine({ line, labels: {}, metadata: {} });
const keep = (mode: Mode | undefined, line: string, levels?: string[]) => keepLine(mode, parse(line), line, levels);

/** Whether Loki reads a line (no labels) in some leg of the mode, evaluated with Go RE2 semantics. */
function pushedDown(mode: Mode): { matcher: (line: string) => { find: () => boolean } } {
  const legs = modeLegs(mode);
  if (!legs) throw new Error(`mode ${mode} has no legs`);
  return { matcher: (line) => ({ find: () => legsSelecting(legs, { line }).length > 0 }) };
}

describe("keepLine: errors", () => {
  it("keeps error and fatal lines in every format", () => {
    expect(keep("errors", '{"level":"error","msg":"payment declined"}')).toBe(true);
    expect(keep("errors", "level=fatal msg=boom")).toBe(true);
    expect(keep("errors", "2026-11-24T14:05:00Z ERROR call to inventory failed")).toBe(true);
    expect(keep("errors", "PANIC: nil map")).toBe(true);
  });

  it("drops warn and info lines, even when their text sounds bad", () => {
    expect(keep("errors", 'level=warn msg="retrying after exception"')).toBe(false);
    expect(keep("errors", '{"level":"info","msg":"recovered from panic in handler"}')).toBe(false);
    expect(keep("errors", "2026-11-24T14:05:00Z WARN slow query")).toBe(false);
    expect(keep("errors", "2026-11-24T14:05:00Z DEBUG failed attempt 1 of 3")).toBe(false);
  });

  it("keeps unknown-level lines only when they read like an exception", () => {
    expect(keep("errors", "java.lang.NullPointerException: name is null")).toBe(true);
    expect(keep("errors", "Traceback (most recent call last):")).toBe(true);
    expect(keep("errors", "goroutine 1 [running]: panic: runtime error")).toBe(true);
    expect(keep("errors", "job 42 failed after 3 attempts")).toBe(true);
    expect(keep("errors", "partial failure in batch")).toBe(true);
    expect(keep("errors", "fatal: not a git repository")).toBe(true);
    expect(keep("errors", "GET /health 200 12ms")).toBe(false);
    // "fail" alone is not a word of its own
    expect(keep("errors", "failover completed to replica b")).toBe(false);
  });

  it("respects an explicit level list first", () => {
    expect(keep("errors", "level=error msg=x t=1", ["fatal"])).toBe(false);
    expect(keep("errors", "level=fatal msg=x t=1", ["fatal"])).toBe(true);
    expect(keep("errors", "level=warn msg=x t=1", ["warn"])).toBe(false); // level passes, mode does not
  });
});

describe("keepLine: troubleshoot", () => {
  it("keeps warn, error and fatal lines", () => {
    expect(keep("troubleshoot", 'level=warn msg="pool at 90%"')).toBe(true);
    expect(keep("troubleshoot", '{"severity":"ERROR","message":"x"}')).toBe(true);
    expect(keep("troubleshoot", "[FATAL] out of memory")).toBe(true);
  });

  it("drops info and debug lines", () => {
    expect(keep("troubleshoot", 'level=info msg="request timeout configured to 30s"')).toBe(false);
    expect(keep("troubleshoot", "DEBUG connection refused by mock, as expected")).toBe(false);
  });

  it("keeps unknown-level lines with trouble words", () => {
    for (const line of [
      "upstream timed out while reading response header",
      "dial tcp 10.0.0.7:5432: connect: connection refused",
      "context deadline exceeded",
      "service unavailable",
      "GET /api/orders 503 12ms",
      "too many open files",
      "could not acquire lock",
      "read: connection reset by peer",
    ]) {
      expect(keep("troubleshoot", line), line).toBe(true);
    }
    expect(keep("troubleshoot", "GET /api/orders 200 12ms")).toBe(false);
  });
});

describe("keepLine: audit", () => {
  it("keeps security and configuration events", () => {
    for (const line of [
      "user alice logged in from 10.0.0.4",
      'level=info msg="login succeeded" user=alice',
      '{"level":"info","msg":"API key created","actor":"bob"}',
      "token revoked for session 42",
      "role admin granted to carol",
      "MFA challenge passed",
      "2FA enabled for user dave",
      "access denied to /billing for eve",
      "configuration changed: max_conns 20 -> 50",
      "password reset requested",
      "user authenticated via sso",
      "request unauthorized: missing bearer",
      "sudo: alice : TTY=pts/0 ; COMMAND=/bin/ls",
    ]) {
      expect(keep("audit", line), line).toBe(true);
    }
  });

  it("matches whole words only", () => {
    // a hex trace id that happens to contain "2fa", "admin" inside a word, "role" inside "console"
    expect(keep("audit", "INFO GET /api/orders 200 trace_id=9c2fa41e0b7d5a3c")).toBe(false);
    expect(keep("audit", '{"msg":"order placed","trace_id":"7e2fa0c1d3b4"}')).toBe(false);
    expect(keep("audit", "INFO printed to console")).toBe(false);
    expect(keep("audit", "INFO loaded badminton schedule")).toBe(false);
    expect(keep("audit", "INFO rolled back migration 12")).toBe(false);
    expect(keep("audit", "INFO catalog import took 12ms")).toBe(false);
  });

  it("checks the message and the whole line", () => {
    // the keyword is in a field, not in the message
    expect(keep("audit", '{"msg":"request done","event_type":"audit"}')).toBe(true);
  });

  it("ignores the level, unless a level list is given", () => {
    expect(keep("audit", 'level=debug msg="user logged in" user=x')).toBe(true);
    expect(keep("audit", 'level=debug msg="user logged in" user=x', ["info"])).toBe(false);
  });
});

describe("keepLine: other modes", () => {
  it("keeps everything in raw, performance, conversation and without a mode", () => {
    for (const mode of ["raw", "performance", "conversation", undefined] as const) {
      expect(keep(mode, "DEBUG nothing"), String(mode)).toBe(true);
    }
  });

  it("still applies the level list", () => {
    expect(keep(undefined, "level=info msg=x t=1", ["error", "warn"])).toBe(false);
    expect(keep("raw", "level=warn msg=x t=1", ["error", "warn"])).toBe(true);
    expect(keep(undefined, "no level here", ["unknown"])).toBe(true);
    expect(keep(undefined, "no level here", [])).toBe(true); // an empty list filters nothing
  });
});

describe("TEXT patterns", () => {
  it("error matches error words case-insensitively but not bare err", () => {
    expect(TEXT.error.test("An ERROR happened")).toBe(true);
    expect(TEXT.error.test("stderr closed")).toBe(false);
  });

  it("trouble covers errors and degradations", () => {
    expect(TEXT.trouble.test("Deadline exceeded")).toBe(true);
    expect(TEXT.trouble.test("HTTP 502")).toBe(true);
    expect(TEXT.trouble.test("all good")).toBe(false);
  });
});

describe("modeLegs", () => {
  it("has a pushdown for the filtering modes only", () => {
    for (const mode of MODES) {
      const legs = modeLegs(mode);
      if (mode === "raw" || mode === "conversation") expect(legs, mode).toBeUndefined();
      else expect(legs?.length, mode).toBeGreaterThan(0);
    }
    expect(modeLegs(undefined)).toBeUndefined();
  });

  it("every pushed-down regex is valid RE2", () => {
    for (const mode of ["errors", "troubleshoot", "audit", "performance"] as const) {
      for (const stage of modeLegs(mode)!.flat()) {
        if (stage.kind !== "line_filter") continue;
        for (const v of stage.values) expect(() => checkRegex(v, { field: mode }), v).not.toThrow();
      }
    }
  });

  it("performance matches lines that carry a duration", () => {
    const perf = pushedDown("performance");
    for (const line of [
      "level=info msg=done duration=120ms",
      '{"msg":"done","latency_ms":12}',
      '{"msg":"done","db_time_ms":12}',
      "INFO request took 1.5s",
      "slow query on table stock",
      "level=info elapsed=3s",
      "level=info response_time=0.3",
      "level=info queue_ms=12",
    ]) {
      expect(perf.matcher(line).find(), line).toBe(true);
    }
    expect(perf.matcher("level=info msg=started").find()).toBe(false);
  });

  // Loki filters with the pushed-down regex before any line reaches keepLine, so a line the
  // mode keeps must also match the regex, or it is silently lost.
  const REALISTIC = [
    '{"ts":"2026-11-24T14:05:00Z","level":"error","msg":"call to inventory failed: timeout after 3000ms","upstream":"inventory"}',
    '{"level":"fatal","msg":"out of memory: heap limit reached"}',
    '{"severity":"ERROR","message":"payment declined","code":"card_declined"}',
    '{"severity":"CRITICAL","message":"replica lag 900s"}',
    '{"level":"warn","msg":"connection pool exhausted: waited 2300ms"}',
    '{"level":"warning","msg":"retrying"}',
    '{"level":"info","msg":"user alice logged in","trace_id":"4bf92f3577b34da6"}',
    '{"level":"info","msg":"order placed","trace_id":"9c2fa41e0b7d5a3c"}',
    '{"level":"info","msg":"API key created","actor":"bob"}',
    '{"level":"debug","msg":"handling POST /api/checkout"}',
    'ts=2026-11-24T14:05:00Z level=error msg="call to payments failed: 503 service unavailable" upstream=payments',
    'ts=2026-11-24T14:05:00Z level=warn msg="slow query took 4200ms on table stock"',
    'ts=2026-11-24T14:05:00Z level=info msg="place_order completed" duration_ms=41 status=200',
    'level=info msg="role admin granted" user=carol',
    'level=info msg="configuration reloaded" source=file',
    'level=crit msg="disk full"',
    'level=err msg="x509: certificate has expired"',
    'level=emerg msg="kernel panic"',
    'level=alert msg="raid degraded"',
    "2026-11-24T14:05:00Z ERROR call to inventory-db failed: connection refused",
    "2026-11-24T14:05:00Z WARN TLS handshake failed: certificate has expired",
    "2026-11-24T14:05:00Z INFO reserve_items completed duration_ms=12",
    "2026-11-24 14:05:00 [WARNING] low disk space on /var",
    "2026-11-24 14:05:00 [ERR] write failed: no space left on device",
    "[FATAL] cannot bind :8080",
    "E1124 14:05:00.000000 1 PANIC runtime error: index out of range",
    "main | CRITICAL | lost quorum",
    "java.lang.IllegalStateException: pool closed",
    "\tat com.shop.Checkout.place(Checkout.java:42)",
    "Traceback (most recent call last):",
    "panic: runtime error: invalid memory address",
    "job 42 failed after 3 attempts",
    "partial failure in batch 7",
    "fatal: not a git repository",
    "upstream timed out (110: Connection timed out) while reading response header",
    "dial tcp 10.0.0.7:5432: connect: connection refused",
    "context deadline exceeded",
    "GET /api/orders 503 12ms",
    "GET /api/orders 200 12ms",
    "read: connection reset by peer",
    "too many open files",
    "could not acquire advisory lock",
    "user bob logged out",
    "sshd[123]: Accepted password for alice from 10.0.0.4",
    "sudo: alice : TTY=pts/0 ; COMMAND=/bin/ls",
    "access denied for user 'app'@'10.0.0.9'",
    "MFA challenge passed for carol",
    "request unauthorized: missing bearer token",
    "policy updated: retention 30d",
    "INFO printed to console",
    "cache hit ratio 0.97",
  ];

  for (const mode of ["errors", "troubleshoot", "audit"] as const) {
    it(`${mode}: every line keepLine keeps is read by a leg (superset)`, () => {
      const regex = pushedDown(mode);
      const kept = REALISTIC.filter((line) => keep(mode, line));
      expect(kept.length, "the list exercises the mode").toBeGreaterThan(5);
      expect(kept.length, "the mode drops something").toBeLessThan(REALISTIC.length);
      for (const line of kept) expect(regex.matcher(line).find(), line).toBe(true);
    });
  }

  it("the pushdown is case-insensitive", () => {
    const errors = pushedDown("errors");
    expect(errors.matcher("ERROR").find()).toBe(true);
    expect(errors.matcher("Error").find()).toBe(true);
    expect(errors.matcher("error").find()).toBe(true);
    const audit = pushedDown("audit");
    expect(audit.matcher("LOGIN ok").find()).toBe(true);
    // Loki reads words inside words too (a superset); keepLine keeps whole words only
    expect(audit.matcher("trace_id=9c2fa41e0b7d").find()).toBe(true);
    expect(keep("audit", "trace_id=9c2fa41e0b7d")).toBe(false);
  });
});

describe("filterStages and buildLogQueries", () => {
  const rendered = (...args: Parameters<typeof buildLogQueries>) => buildLogQueries(...args).map((q) => render(q));

  it("renders a service matcher, contains and a regex, then each leg of the mode", () => {
    const [byLevel, byField, byWord] = rendered(
      [eq("service_name", "checkout")],
      "service_name",
      "errors",
      { contains: ["timeout"], regex: "5\\d\\d" },
      "precise",
    );
    expect(byLevel).toMatch(/^\{service_name="checkout"\} \|= "timeout" \|~ "5\\\\d\\\\d" \| level=~"\(\?i\)/);
    for (const q of [byField, byWord]) {
      expect(q).toMatch(/^\{service_name="checkout"\} \|= "timeout" \|~ "5\\\\d\\\\d" \| level!~"[^"]+" and /);
    }
    expect(byField).toContain('|~ "level\\"?');
    expect(byWord).toContain('|~ "(?i)alert" or "(?i)crit" or "(?i)emerg" or "(?i)eror" or "(?i)err" or');
  });

  it("reads troubleshoot and errors fast by default: one query on Loki's detected level, shared filters first", () => {
    const filters = { contains: ["timeout"] };
    expect(rendered([eq("app", "x")], "app", "troubleshoot", filters)).toEqual([
      '{app="x"} |= "timeout" | detected_level!~"trace|debug|info"',
    ]);
    expect(rendered([eq("app", "x")], "app", "errors", filters)).toEqual([
      '{app="x"} |= "timeout" | detected_level!~"trace|debug|info|warn"',
    ]);
    expect(rendered([eq("app", "x")], "app", "troubleshoot", filters, "precise")).toHaveLength(3);
  });

  it('falls back to fallbackLabel=~".+" without service matchers', () => {
    expect(rendered([], "app", undefined, {})).toEqual(['{app=~".+"}']);
    expect(rendered([], "service_name", "raw", {})).toEqual(['{service_name=~".+"}']);
  });

  it("keeps several service matchers", () => {
    const q = rendered([re("service_name", "checkout|payments"), eq("env", "prod")], "service_name", "raw", {});
    expect(q).toEqual(['{service_name=~"checkout|payments", env="prod"}']);
  });

  it("adds contains filters in order, then the trace, conversation and workspace ids, in every leg", () => {
    const legs = rendered(
      [eq("app", "x")],
      "app",
      "troubleshoot",
      { contains: ["a", 'say "hi"'], traceId: "t-1", conversationId: "c-1", workspaceId: "w-1" },
      "precise",
    );
    expect(legs).toHaveLength(3);
    for (const q of legs) {
      expect(q).toMatch(/^\{app="x"\} \|= "a" \|= "say \\"hi\\"" \|= "t-1" \|= "c-1" \|= "w-1" \| level/);
    }
  });

  it("levels are not pushed down as line filters", () => {
    expect(filterStages({ levels: ["error"] })).toEqual([]);
    expect(filterStages({})).toEqual([]);
  });

  it("skips empty ids and an empty regex", () => {
    expect(filterStages({ traceId: "", regex: "", conversationId: undefined })).toEqual([]);
  });

  it("refuses a regex Loki would not accept", () => {
    expect(() => filterStages({ regex: "(?=lookahead)" })).toThrow(LogqlError);
    expect(() => filterStages({ regex: "(unclosed" })).toThrow(
      expect.objectContaining({ code: "invalid_regex", field: "regex" }),
    );
  });
});

describe("levels that are not words still reach keepLine", () => {
  const kept = (line: string, mode: "errors" | "troubleshoot") =>
    keepLine(mode, parseLine({ line, labels: {}, metadata: {} }), line);
  const pushed = (line: string, mode: "errors" | "troubleshoot") => pushedDown(mode).matcher(line).find();
  it.each([
    ['{"level":50,"time":1,"msg":"db connection lost"}', "errors"],
    ['{"level":60,"msg":"out of memory"}', "errors"],
    ['{"level":40,"msg":"slow disk"}', "troubleshoot"],
    ['lvl=eror msg="db connection lost"', "errors"],
    ["Printing stack trace for request 42", "errors"],
  ] as const)("%s (%s) is kept and pushed down", (line, mode) => {
    expect(kept(line, mode)).toBe(true);
    expect(pushed(line, mode)).toBe(true);
  });
});
