import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertScoped,
  contains,
  eq,
  isLogqlError,
  json,
  LogqlError,
  labelEq,
  literal,
  logQuery,
  type Matcher,
  matches,
  neq,
  notContains,
  quote,
  rangeAgg,
  re,
  render,
  scopeRawQuery,
  selector,
  sumBy,
  tokenize,
} from "../../src/logql/index.ts";
import type { PushStream } from "../../src/loki/client.ts";
import { LokiError } from "../../src/loki/errors.ts";
import type { LokiQueryData } from "../../src/loki/schemas.ts";
import { type Nanos, NS_PER_MS, NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";
import {
  goLiterals,
  INJECTIONS,
  mapPool,
  normalizeResult,
  quoteMeta,
  rawQueryArb,
  SPECIALS,
  storableValueArb,
  valueArb,
} from "./logql-loki.arbitraries.ts";

/*
 * The LogQL builder and raw-query scoping against the REAL Loki 3.7.8:
 * 1. every value reaches Loki's format_query as the same literal;
 * 2. line filters, stream matchers and structured-metadata filters built
 *    from a value select exactly the lines/streams that carry that value;
 * 3. raw LogQL, once scoped, can never read another run's lines.
 */

const FORMAT_RUNS = 10_000;
const RAW_RUNS = 1_000;
const IN_FLIGHT = 16;
/** Fixed seed via FC_SEED to replay a failure; random otherwise (fast-check prints it on failure). */
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);

function lokiParseError(err: unknown): err is LokiError {
  return err instanceof LokiError && err.kind === "parse";
}

function streamLines(d: LokiQueryData): string[] {
  return d.resultType === "streams" ? d.result.flatMap((s) => s.values.map((v) => v[1])) : [];
}

describe("builder values round-trip through Loki's format_query", () => {
  const loki = lokiClient();
  const run = runId("fmt");
  afterAll(() => loki.close());

  /** Queries carrying `v` in every kind of literal the builder writes, with the values they must decode to. */
  function queriesFor(v: string): Array<{ text: string; literals: string[] }> {
    const log = logQuery(
      selector(eq("run", run), eq("k", v), re("k2", quoteMeta(v))),
      contains(v),
      notContains(v),
      matches(quoteMeta(v)),
      labelEq("meta", v),
      json({ label: "x", expression: v }),
      { kind: "line_format", template: v },
      { kind: "label_format", labels: [{ label: "dst", template: v }] },
    );
    const metric = sumBy(
      ["k"],
      rangeAgg(
        "count_over_time",
        logQuery(selector(eq("run", run), eq("k", v)), contains(v), labelEq("meta", v)),
        "5m",
      ),
    );
    const qm = quoteMeta(v);
    return [
      { text: render(log), literals: [run, v, qm, v, v, qm, v, v, v, v] },
      { text: render(metric), literals: [run, v, v, v] },
      // `literal` picks a backtick literal when that is safe (Loki prints it back double-quoted)
      { text: `{run=${quote(run)}} |= ${literal(v, "auto")} != ${literal(v, "backtick")}`, literals: [run, v, v] },
    ];
  }

  type Formatted = Array<{ rendered: string; formatted?: string; error?: unknown; literals: string[] }>;

  async function formatAll(v: string): Promise<Formatted> {
    return Promise.all(
      queriesFor(v).map(async ({ text: rendered, literals }) => {
        try {
          return { rendered, formatted: await loki.formatQuery(rendered), literals };
        } catch (error) {
          return { rendered, error, literals };
        }
      }),
    );
  }

  function checkRoundTrip(v: string, results: Formatted): void {
    for (const r of results) {
      // Loki accepted what the builder wrote...
      expect(r.error, `Loki refused ${JSON.stringify(r.rendered)}`).toBeUndefined();
      const formatted = r.formatted ?? "";
      // ...and the literals it parsed are exactly the values (decoded independently of src/logql)
      expect(goLiterals(formatted), `value ${JSON.stringify(v)}`).toEqual(r.literals);
      // ...and, read back with src/logql's tokenizer, it is the same query token for token
      const shape = (text: string) =>
        tokenize(text).tokens.map((t) =>
          t.kind === "string" ? `str:${JSON.stringify(t.value)}` : `${t.kind}:${t.text}`,
        );
      expect(shape(formatted)).toEqual(shape(r.rendered));
    }
  }

  it(`checks ${FORMAT_RUNS} generated values (quotes, backslashes, backticks, newlines, braces, pipes, unicode)`, async () => {
    // Batch the Loki calls (IN_FLIGHT at a time) for the exact values the property will draw (same seed),
    // then run the property; a value not prefetched (e.g. while shrinking) is formatted on demand.
    const planned = fc.sample(valueArb, { seed: SEED, numRuns: FORMAT_RUNS });
    const distinct = [...new Set(planned)];
    const cache = new Map<string, Formatted>();
    await mapPool(distinct, IN_FLIGHT, async (v) => {
      cache.set(v, await formatAll(v));
    });

    let fromCache = 0;
    await fc.assert(
      fc.asyncProperty(valueArb, async (v) => {
        const hit = cache.get(v);
        if (hit) fromCache++;
        checkRoundTrip(v, hit ?? (await formatAll(v)));
      }),
      { seed: SEED, numRuns: FORMAT_RUNS },
    );

    expect(fromCache).toBe(FORMAT_RUNS);
    // the generator really is biased to the hard characters
    expect(distinct.length).toBeGreaterThan(FORMAT_RUNS * 0.8);
    for (const ch of ['"', "\\", "`", "\n", "\r", "\t", "}", "{", "|", "#", "=", "~", "\u0301", "\u200d", "😀"]) {
      expect(planned.filter((v) => v.includes(ch)).length, JSON.stringify(ch)).toBeGreaterThan(200);
    }
    expect(planned.filter((v) => /[^\0-\uffff]/u.test(v)).length).toBeGreaterThan(1000); // astral code points
    expect(planned.filter((v) => /\p{M}/u.test(v)).length).toBeGreaterThan(500); // combining marks
  });

  it("pins a Loki 3.7.8 format_query bug: wrapping a long `|= a or b` drops the alternatives", async () => {
    // Loki's pretty-printer loses every `or` alternative of a line filter once the query no longer fits
    // on one line, so running Loki's formatted text instead of the checked text changes the query.
    const [a, b] = ["a".repeat(60), "b".repeat(60)];
    const long = render(logQuery(selector(eq("run", run)), contains(a, b)));
    expect(goLiterals(long)).toEqual([run, a, b]);
    expect(goLiterals(await loki.formatQuery(long))).toEqual([run, a]);
    const short = render(logQuery(selector(eq("run", run)), contains("a", "b")));
    expect(goLiterals(await loki.formatQuery(short))).toEqual([run, "a", "b"]);
  });

  it("rejects lone UTF-16 surrogates instead of sending a different value", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string(), (a, s, b) => {
        const v = `${a}${String.fromCharCode(s)}${b}`;
        fc.pre(!v.isWellFormed());
        const err = (() => {
          try {
            render(logQuery(selector(eq("run", run)), contains(v)));
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(LogqlError);
        expect((err as LogqlError).code).toBe("invalid_string");
        expect(() => quote(v)).toThrow(LogqlError);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});

describe("built queries select exactly the lines and streams carrying a value", () => {
  const loki = lokiClient();
  const run = runId("sel");
  const t0 = nowNs() - 5n * 60n * NS_PER_S;
  const start = t0 - NS_PER_S;
  const end = t0 + 10n * 60n * NS_PER_S;
  afterAll(() => loki.close());

  const generated = fc.sample(storableValueArb, { seed: SEED, numRuns: 300 });
  const specials = SPECIALS.filter((s) => s !== "\ufffd");
  /** Distinct non-empty values: the SPECIALS themselves, then generated ones. */
  const values = [...new Set([...specials, ...INJECTIONS, ...generated])];

  // Lines: one per value, plus near misses (the value cut at either end, quotes/backslashes replaced).
  const valueLines = values.map((v, i) => `value ${i}: ${v} .`);
  const controlLines = values.flatMap((v, i) => {
    const cps = [...v];
    const misses = new Set([cps.slice(0, -1).join(""), cps.slice(1).join(""), v.replace(/["\\`]/g, "_")]);
    misses.delete(v);
    return [...misses].map((m, k) => `control ${i}.${k}: ${m} .`);
  });
  const allLines = [...valueLines, ...controlLines];

  const byTs = (a: [Nanos, string], b: [Nanos, string]) => (a[0] < b[0] ? -1 : 1);
  const sorted = (lines: string[]) => [...lines].sort();

  const count = async (query: string) =>
    streamLines(await loki.queryRange({ query, start, end, limit: 5_000, direction: "forward" })).length;

  beforeAll(async () => {
    const lineStream: PushStream = {
      stream: { run, part: "lines" },
      values: allLines.map((line, k) => [t0 + BigInt(k) * NS_PER_MS, line] as [Nanos, string]).sort(byTs),
    };
    const metaStream: PushStream = {
      stream: { run, part: "meta" },
      values: values.map((v, j) => [t0 + BigInt(j) * NS_PER_MS, `meta ${j}`, { meta: v }]),
    };
    const labelStreams: PushStream[] = values.map((v, j) => ({
      stream: { run, part: "label", k: v },
      values: [[t0 + BigInt(j) * NS_PER_MS, `stream ${j}`]],
    }));
    await loki.push([lineStream, metaStream, ...labelStreams]);
    const total = allLines.length + 2 * values.length;
    await eventually(async () => ((await count(`{run="${run}"}`)) === total ? true : undefined), 30_000);
  });

  it("|= and != find exactly the lines containing (or not containing) the value", async () => {
    expect(values.length).toBeGreaterThan(250);
    const selective: number[] = [];
    await mapPool(values, IN_FLIGHT, async (v, i) => {
      const sel = selector(eq("run", run), eq("part", "lines"));
      const expected = allLines.filter((l) => l.includes(v));
      const found = streamLines(
        await loki.queryRange({ query: render(logQuery(sel, contains(v))), start, end, limit: 5_000 }),
      );
      expect(sorted(found), `|= ${quote(v)} (FC_SEED=${SEED})`).toEqual(sorted(expected));
      expect(found).toContain(valueLines[i]);
      const notFound = streamLines(
        await loki.queryRange({ query: render(logQuery(sel, notContains(v))), start, end, limit: 5_000 }),
      );
      expect(sorted(notFound), `!= ${quote(v)} (FC_SEED=${SEED})`).toEqual(
        sorted(allLines.filter((l) => !l.includes(v))),
      );
      if (expected.length <= 3) selective.push(i);
    });
    // not a tautology: most values pick out a handful of lines among hundreds, near misses excluded
    expect(allLines.length).toBeGreaterThan(700);
    expect(selective.length).toBeGreaterThan(values.length / 2);
  });

  it("a stream matcher k=<value> finds exactly the stream labelled with the value (k!= all the others)", async () => {
    await mapPool(values, IN_FLIGHT, async (v, j) => {
      const d = await loki.queryRange({
        query: render(logQuery(selector(eq("run", run), eq("part", "label"), eq("k", v)))),
        start,
        end,
        limit: 5_000,
      });
      expect(d.resultType).toBe("streams");
      if (d.resultType !== "streams") return;
      expect(
        d.result.map((s) => [s.stream.k, s.values.map((x) => x[1])]),
        `k=${quote(v)} (FC_SEED=${SEED})`,
      ).toEqual([[v, [`stream ${j}`]]]);
    });
    // the negative matcher, for a sample of values
    await mapPool(values.slice(0, 40), IN_FLIGHT, async (v, j) => {
      const lines = streamLines(
        await loki.queryRange({
          query: render(logQuery(selector(eq("run", run), eq("part", "label"), neq("k", v)))),
          start,
          end,
          limit: 5_000,
        }),
      );
      expect(lines.length).toBe(values.length - 1);
      expect(lines).not.toContain(`stream ${j}`);
    });
  });

  it("a structured-metadata filter | meta=<value> finds exactly the line carrying the value", async () => {
    await mapPool(values, IN_FLIGHT, async (v, j) => {
      const d = await loki.queryRange({
        query: render(logQuery(selector(eq("run", run), eq("part", "meta")), labelEq("meta", v))),
        start,
        end,
        limit: 5_000,
      });
      expect(d.resultType).toBe("streams");
      if (d.resultType !== "streams") return;
      const entries = d.result.flatMap((s) => s.values);
      expect(
        entries.map((e) => [e[1], e[2]?.structuredMetadata?.meta]),
        `| meta=${quote(v)} (FC_SEED=${SEED})`,
      ).toEqual([[`meta ${j}`, v]]);
    });
  });
});

describe("raw LogQL scoping against the real Loki", () => {
  // Two tenants of the multi-tenant Loki. T1 holds our run's lines AND other runs' lines; T2 holds only
  // our run's lines (same labels, timestamps, text). A scoped query must answer the same in both.
  const { lokiMtUrl } = services();
  const t1 = lokiClient(lokiMtUrl, runId("scopeA"));
  const t2 = t1.withTenant(runId("scopeB"));
  const self = runId("self");
  const other = runId("other");
  const required: Matcher[] = [eq("run", self)];
  const base = nowNs() - 20n * 60n * NS_PER_S;
  const start = base - 60n * NS_PER_S;
  const end = base + 15n * 60n * NS_PER_S;
  const selfTs = new Set<string>();
  let selfApiTs: string[] = [];
  afterAll(() => t1.close());

  function entries(prefix: string, n: number, offsetMs: bigint, line: (i: number) => string): PushStream["values"] {
    return Array.from({ length: n }, (_, i): PushStream["values"][number] => {
      const ts = base + BigInt(i) * 10n * NS_PER_S + offsetMs * NS_PER_MS;
      if (prefix === "self") selfTs.add(String(ts));
      return i % 3 === 0 ? [ts, line(i), { trace_id: `t${i}` }] : [ts, line(i)];
    });
  }

  beforeAll(async () => {
    const selfStreams: PushStream[] = [
      { stream: { run: self, app: "api" }, values: entries("self", 12, 0n, (i) => `self ${i} level=info msg=hello`) },
      {
        stream: { run: self, app: "web" },
        values: entries("self", 7, 1n, (i) => JSON.stringify({ msg: `self json ${i}`, run: other, level: "warn" })),
      },
    ];
    selfApiTs = selfStreams[0]!.values.map((v) => String(v[0])).sort();
    const otherStreams: PushStream[] = [
      {
        stream: { run: other, app: "api", secret: "yes" },
        values: entries("other", 30, 2n, (i) => `other ${i} secret`),
      },
      { stream: { run: `${self}_evil`, app: "api" }, values: entries("evil", 30, 3n, (i) => `evil ${i} self`) },
      { stream: { app: "api" }, values: entries("norun", 30, 4n, (i) => `norun ${i} level=error`) },
      { stream: { run: other, app: "web" }, values: entries("other", 30, 5n, (i) => `{"msg":"other ${i}"}`) },
    ];
    await t1.push([...selfStreams, ...otherStreams]);
    await t2.push(selfStreams);
    const total = async (c: typeof t1) =>
      streamLines(await c.queryRange({ query: `{app=~"api|web"}`, start, end, limit: 1_000 })).length;
    await eventually(async () => ((await total(t1)) === 19 + 120 && (await total(t2)) === 19 ? true : undefined));
  });

  type Outcome = { ok: true; data: LokiQueryData } | { ok: false; kind: string; status: number };
  type Probe =
    | { stage: "logql"; error: LogqlError }
    | { stage: "loki"; scoped: string }
    | { stage: "ran"; scoped: string; formatted: string; t1: Outcome };

  async function execute(client: typeof t1, query: string): Promise<Outcome> {
    try {
      return { ok: true, data: await client.queryRange({ query, start, end, step: "60s", limit: 1_000 }) };
    } catch (err) {
      if (err instanceof LokiError) return { ok: false, kind: err.kind, status: err.status };
      throw err;
    }
  }

  const comparable = (o: Outcome) => (o.ok ? normalizeResult(o.data) : o);

  /**
   * Scopes `raw`, has Loki format the result, checks Loki's text is still scoped, runs it in both
   * tenants and checks nothing from outside the run was read. Throws (fails the test) on any leak.
   */
  async function probe(raw: string, req: readonly Matcher[] = required): Promise<Probe> {
    let scoped: string;
    try {
      scoped = scopeRawQuery(raw, req).logql;
    } catch (error) {
      if (isLogqlError(error)) return { stage: "logql", error };
      throw error;
    }
    let formatted: string;
    try {
      formatted = await t1.formatQuery(scoped);
    } catch (error) {
      if (!lokiParseError(error)) throw error;
      // scoping must never turn a query Loki accepts into one it refuses
      const rawOk = await t1.formatQuery(raw).then(
        () => true,
        () => false,
      );
      expect(rawOk, `Loki accepts ${JSON.stringify(raw)} but not its scoped form ${JSON.stringify(scoped)}`).toBe(
        false,
      );
      return { stage: "loki", scoped };
    }
    // the text that will run is the text Loki parsed, and every selector in it is scoped
    assertScoped(formatted, req);
    const [o1, o2] = await Promise.all([execute(t1, formatted), execute(t2, formatted)]);
    expect(comparable(o1), `${JSON.stringify(formatted)} read data outside its scope`).toEqual(comparable(o2));
    if (o1.ok && o1.data.resultType === "streams") {
      for (const s of o1.data.result) for (const [ts] of s.values) expect(selfTs.has(ts), `line at ${ts}`).toBe(true);
    }
    return { stage: "ran", scoped, formatted, t1: o1 };
  }

  const tsOf = (p: Probe) =>
    p.stage === "ran" && p.t1.ok && p.t1.data.resultType === "streams"
      ? p.t1.data.result.flatMap((s) => s.values.map((v) => v[0])).sort()
      : undefined;
  /** Last sample of each series of a range query (the window covers all lines when the range is 1h). */
  const lastValues = (p: Probe) =>
    p.stage === "ran" && p.t1.ok && p.t1.data.resultType === "matrix"
      ? p.t1.data.result.map((s) => s.values.at(-1)?.[1]).sort()
      : undefined;

  it("the oracle can fail: unscoped queries do read the other run", async () => {
    const raw = `{app="api"}`;
    expect(() => assertScoped(raw, required)).toThrow(LogqlError);
    const [o1, o2] = await Promise.all([execute(t1, raw), execute(t2, raw)]);
    expect(comparable(o1)).not.toEqual(comparable(o2));
    expect(o1.ok && streamLines(o1.data).some((l) => l.startsWith("other"))).toBe(true);
    const metric = `sum(count_over_time({app="api"}[1h]))`;
    const [m1, m2] = await Promise.all([execute(t1, metric), execute(t2, metric)]);
    expect(comparable(m1)).not.toEqual(comparable(m2));
  });

  it("adversarial raw queries are refused or stay inside the run", async () => {
    const S = self;
    const O = other;
    const cases: Array<{ q: string; expect: "logql" | "loki" | "ran"; check?: (p: Probe) => void }> = [
      { q: `{run=~".+"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([...selfTs].sort()) },
      { q: `{app="api"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual(selfApiTs) },
      { q: `{run="${O}"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: `{run!="${S}", app="api"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: `{run=~"${S}.*"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([...selfTs].sort()) },
      { q: `{run="${S}", app="api"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual(selfApiTs) },
      // selector injection inside strings
      { q: `{app="api"} |= "\\"} or {run=~\\".+\\"}"`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: `{app="api\\", run=~\\".+"}`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: '{app="api"} |= `"} or {run=~".+"}`', expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: `{app="api"} |= "x"} or {run=~".+"}`, expect: "logql" },
      { q: `{app="api"} |= "x" {run="${O}"}`, expect: "loki" },
      { q: `{app="api"} |= "a\nb"`, expect: "logql" },
      { q: `{app="api"} |= 'x'`, expect: "logql" },
      { q: `{app="api"} |= "x" // {run="${O}"}`, expect: "logql" },
      { q: `{app="api"} /* {run="${O}"} */`, expect: "logql" },
      { q: `{app="api"} |= "\\q"`, expect: "logql" },
      { q: `{rün="x", app="api"}`, expect: "logql" },
      { q: `{app="api"}\u2028|= "x"`, expect: "logql" },
      { q: `{app=~".*"}`, expect: "logql" },
      { q: `{}`, expect: "logql" },
      { q: `{app="api"`, expect: "logql" },
      // comments
      {
        q: `{app="api"} # } or {run="${O}"}\n |= "self"`,
        expect: "ran",
        check: (p) => expect(tsOf(p)).toEqual(selfApiTs),
      },
      {
        q: `{app="api" # a comment inside the selector }\n}`,
        expect: "ran",
        check: (p) => expect(tsOf(p)).toEqual(selfApiTs),
      },
      { q: `{app="api"} |= "#" # "\n`, expect: "ran", check: (p) => expect(tsOf(p)).toEqual([]) },
      { q: `{app="api"} |= \`#\` # \`\n{run="${O}"}`, expect: "loki" },
      // several selectors in metric queries
      { q: `sum(rate({a="1"}[1m])) / sum(rate({b="2"}[1m]))`, expect: "ran" },
      {
        q: `sum(count_over_time({run="${S}"}[1h])) / sum(count_over_time({run="${O}"}[1h]))`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual([]),
      },
      {
        q: `sum(count_over_time({app="api"}[1h])) or sum(count_over_time({secret="yes"}[1h]))`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual(["12"]),
      },
      {
        q: `sum(count_over_time({app=~"api|web"}[1h])) + sum(count_over_time({run="${O}"}[1h]))`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual([]),
      },
      {
        q: `vector(1) + sum(count_over_time({service_name=~".+"}[1h]))`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual(["20"]),
      },
      {
        q: `label_replace(sum by (run) (count_over_time({app="api"} | label_format run="${O}" [1h])), "run", "${O}", "run", ".*")`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual(["12"]),
      },
      {
        q: `sum by (run) (count_over_time({app="web"} | json [1h]))`,
        expect: "ran",
        check: (p) => expect(lastValues(p)).toEqual(["7"]),
      },
      { q: `absent_over_time({run="${O}"}[1h])`, expect: "ran" },
      { q: `{run="${S}"} or {run="${O}"}`, expect: "loki" },
      { q: `variants(count_over_time({run="${O}"}[1h])) of ({run="${O}"}[1h])`, expect: "ran" },
      // a range that hides a brace
      { q: `count_over_time({app="api"}[1m{])`, expect: "logql" },
    ];
    for (const c of cases) {
      const p = await probe(c.q);
      expect(p.stage, `${JSON.stringify(c.q)} → ${p.stage === "logql" ? p.error.message : p.scoped}`).toBe(c.expect);
      c.check?.(p);
    }
  });

  it("two required matchers are both enforced", async () => {
    const req = [eq("run", self), eq("app", "web")];
    const p = await probe(`{run=~".+"} or {app="api"}`, req);
    expect(p.stage).not.toBe("ran");
    const q = await probe(`{app="api"} |= "self"`, req);
    expect(tsOf(q)).toEqual([]);
    const r = await probe(`sum(count_over_time({run=~".+"}[1h]))`, req);
    expect(lastValues(r)).toEqual(["7"]);
  });

  it(`${RAW_RUNS} raw queries built from adversarial pieces never escape the scope`, async () => {
    const stats = { logql: 0, loki: 0, ran: 0, streams: 0, metric: 0, nonEmpty: 0 };
    await fc.assert(
      fc.asyncProperty(rawQueryArb({ self, other }), async (raw) => {
        const p = await probe(raw);
        stats[p.stage]++;
        if (p.stage === "ran" && p.t1.ok) {
          const d = p.t1.data;
          if (d.resultType === "streams") stats.streams++;
          else stats.metric++;
          if (d.resultType === "streams" ? d.result.some((s) => s.values.length > 0) : d.result.length) {
            stats.nonEmpty++;
          }
        }
      }),
      { seed: SEED, numRuns: RAW_RUNS },
    );
    // the generator exercises every path: refused locally, refused by Loki, and run with real answers
    expect(stats.logql).toBeGreaterThan(RAW_RUNS * 0.05);
    expect(stats.ran).toBeGreaterThan(RAW_RUNS * 0.3);
    expect(stats.streams).toBeGreaterThan(RAW_RUNS * 0.1);
    expect(stats.metric).toBeGreaterThan(RAW_RUNS * 0.1);
    expect(stats.nonEmpty).toBeGreaterThan(RAW_RUNS * 0.1);
  });
});
