import { describe, expect, it } from "vitest";
import { correlateRequest, correlateWindow, mermaid, mermaidLabel } from "../../src/correlate/graph/index.ts";
import type { CorrelatedLine, Correlation } from "../../src/correlate/types.ts";
import type { Level } from "../../src/query/lines.ts";

const KNOWN = [
  "gateway",
  "auth",
  "checkout",
  "search",
  "inventory",
  "inventory-db",
  "payments",
  "ledger",
  "notifications",
];
const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);
const POOL = {
  id: "db-pool-exhausted",
  title: "Database connection pool exhausted",
  severity: "high",
  remediation: "Raise the pool size or find the leak holding connections",
};

/** A line `at` ms after T0 (fractions allowed), of request `id`. */
function L(
  service: string,
  at: number,
  level: Level,
  message: string,
  fields: Record<string, unknown> = {},
  o: { id?: string | null; pattern?: CorrelatedLine["pattern"] } = {},
): CorrelatedLine {
  const id = o.id === null ? undefined : (o.id ?? "4f2a9c0d11e2");
  return {
    ts: BigInt(Math.round((T0 + at) * 1000)) * 1000n,
    service,
    level,
    message,
    line: JSON.stringify({ level, msg: message, ...fields }),
    fields: id ? { trace_id: id, ...fields } : fields,
    id,
    pattern: o.pattern,
  };
}

const run = (lines: CorrelatedLine[], id?: string) => correlateRequest(lines, { knownServices: KNOWN, id });
const edge = (c: Correlation, source: string, target: string) =>
  c.graph.edges.find((e) => e.source === source && e.target === target);
const node = (c: Correlation, id: string) => c.graph.nodes.find((n) => n.id === id)!;
const pairs = (c: Correlation) => c.graph.edges.map((e) => `${e.source}>${e.target}`).sort();

describe("correlateRequest: building the graph", () => {
  it("fan-out from span ids: one edge per child, self time is what the children do not cover", () => {
    const lines = [
      L("gateway", 0, "info", "GET /orders", { span_id: "g1" }),
      L("auth", 10, "info", "token ok", { span_id: "a1", parent_span_id: "g1" }),
      L("auth", 40, "info", "done", { span_id: "a1", parent_span_id: "g1" }),
      L("checkout", 50, "info", "start", { span_id: "c1", parentSpanId: "g1" }),
      L("checkout", 350, "info", "done", { span_id: "c1", parentSpanId: "g1" }),
      L("search", 60, "info", "query", { spanId: "s1", parent_id: "g1" }),
      L("search", 160, "info", "done", { spanId: "s1", parent_id: "g1" }),
      L("gateway", 400, "info", "200 OK", { span_id: "g1" }),
    ];
    const c = run(lines);
    expect(c.mode).toBe("request");
    expect(pairs(c)).toEqual(["gateway>auth", "gateway>checkout", "gateway>search"]);
    for (const e of c.graph.edges) expect(e.evidence).toEqual(["span"]);
    // gateway busy 0–400; children cover 10–40 and 50–350 (search 60–160 overlaps checkout)
    expect(node(c, "gateway").self_ms).toBe(400 - 30 - 300);
    expect(node(c, "checkout").self_ms).toBe(300);
    expect(c.origin).toBeNull();
    expect(c.critical_path).toEqual([
      { service: "gateway", ms: 400 },
      { service: "checkout", ms: 300 },
    ]);
    expect(c.bottlenecks[0]).toMatchObject({ service: "checkout", self_ms: 300 });
    expect(c.narrative).toContain("shows no failure");
  });

  it("retries: several calls to the same callee are one edge with its calls, errors and mean latency", () => {
    const lines = [L("checkout", 0, "info", "charging", { span_id: "c1" })];
    for (let i = 0; i < 3; i++) {
      const t = 10 + i * 200;
      const ok = i === 2;
      lines.push(
        L("payments", t + 5, ok ? "info" : "error", ok ? "charged" : "card processor timeout", {
          span_id: `p${i}`,
          parent_span_id: "c1",
        }),
        L("checkout", t + 100, ok ? "info" : "warn", `attempt ${i + 1} ${ok ? "ok" : "failed"}`, {
          upstream: "payments",
          duration_ms: 90 + i * 30,
        }),
      );
    }
    const c = run(lines);
    const e = edge(c, "checkout", "payments")!;
    expect(e.calls).toBe(3);
    expect(e.errors).toBe(2);
    expect(e.error_rate).toBe(0.67);
    expect(e.latency_ms).toBe(120);
    expect(e.evidence).toEqual(["field", "span"]);
    expect(c.origin?.service).toBe("payments");
  });

  it("nested calls with no ids at all: callers come from nesting in time", () => {
    const lines = [
      L("gateway", 0, "info", "in"),
      L("checkout", 10, "info", "in"),
      L("inventory", 20, "info", "in"),
      L("inventory-db", 30, "info", "query"),
      L("inventory-db", 150, "info", "rows"),
      L("inventory", 200, "info", "out"),
      L("checkout", 450, "info", "out"),
      L("gateway", 500, "info", "out"),
    ];
    const c = run(lines);
    expect(pairs(c)).toEqual(["checkout>inventory", "gateway>checkout", "inventory>inventory-db"]);
    for (const e of c.graph.edges) expect(e.evidence).toEqual(["timing"]);
    expect(c.critical_path.map((p) => p.service)).toEqual(["gateway", "checkout", "inventory", "inventory-db"]);
    expect(c.critical_path.map((p) => p.ms)).toEqual([500, 440, 180, 120]);
    expect(node(c, "inventory").self_ms).toBe(60);
    expect(node(c, "checkout").self_ms).toBe(260);
  });

  it("missing parent ids: each service falls back to the next evidence (span, name, URL, timing)", () => {
    const lines = [
      L("gateway", 0, "info", "in", { span_id: "g1" }),
      L("checkout", 5, "info", "in", {
        span_id: "c1",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      }),
      L("gateway", 6, "info", "client span", { span_id: "00f067aa0ba902b7" }),
      L("checkout", 10, "info", "call to payments"),
      L("payments", 20, "info", "charge"),
      L("ledger", 30, "info", "write"),
      L("ledger", 40, "info", "written"),
      L("payments", 90, "info", "POST", { url: "http://inventory.shop.svc.cluster.local:8080/reserve" }),
      L("inventory", 95, "info", "reserved"),
      L("checkout", 100, "info", "out"),
      L("gateway", 120, "info", "out"),
    ];
    const c = run(lines);
    expect(edge(c, "gateway", "checkout")?.evidence).toEqual(["span"]);
    expect(edge(c, "checkout", "payments")?.evidence).toEqual(["mention"]);
    expect(edge(c, "payments", "inventory")?.evidence).toEqual(["url"]);
    expect(edge(c, "payments", "ledger")?.evidence).toEqual(["timing"]);
    expect(c.graph.edges).toHaveLength(4);
  });

  it("a service's mention of its caller does not turn the call around", () => {
    const lines = [
      L("checkout", 0, "info", "calling", { upstream: "payments" }),
      L("payments", 5, "info", "request from checkout accepted"),
      L("checkout", 20, "info", "done"),
    ];
    expect(pairs(run(lines))).toEqual(["checkout>payments"]);
  });

  it("tolerates a few ms of clock skew between services", () => {
    // checkout's clock runs 3 ms behind: its first line is before gateway's, its last after.
    const spans = [
      L("gateway", 0, "info", "in", { span_id: "g" }),
      L("checkout", -3, "info", "in", { span_id: "c", parent_span_id: "g" }),
      L("checkout", 102, "info", "out", { span_id: "c", parent_span_id: "g" }),
      L("gateway", 100, "info", "out", { span_id: "g" }),
    ];
    const c = run(spans);
    expect(pairs(c)).toEqual(["gateway>checkout"]);
    expect(node(c, "gateway").self_ms).toBe(0);
    expect(node(c, "checkout").self_ms).toBe(105);
    expect(c.critical_path).toEqual([
      { service: "gateway", ms: 100 },
      { service: "checkout", ms: 100 },
    ]);
    // Without ids: nesting still holds within the tolerance.
    const timed = run([
      L("gateway", 0, "info", "in"),
      L("checkout", -3, "info", "in"),
      L("checkout", 500, "info", "out"),
      L("gateway", 1000, "info", "out"),
    ]);
    expect(pairs(timed)).toEqual(["gateway>checkout"]);
    expect(node(timed, "gateway").self_ms).toBe(500);
  });

  it("a duration the service reports widens its busy time", () => {
    const c = run([
      L("checkout", 50, "info", "reserve", { upstream: "inventory" }),
      L("inventory", 60, "info", "reserved"),
      L("checkout", 1000, "info", "checkout completed", { duration_ms: 1000 }),
    ]);
    expect(c.critical_path[0]).toEqual({ service: "checkout", ms: 1000 });
    expect(node(c, "checkout").self_ms).toBe(1000);
  });
});

/** gateway → checkout → payments, failing at payments; `o` shapes the hard cases. */
function failingAtPayments(o: { paymentsLevel?: Level; paymentsAt?: number; silent?: boolean; loudCallers?: number }) {
  const lines = [L("gateway", 0, "info", "POST /orders", { span_id: "g" })];
  lines.push(L("checkout", 5, "info", "placing order", { span_id: "c", parent_span_id: "g" }));
  if (!o.silent) {
    lines.push(
      L(
        "payments",
        o.paymentsAt ?? 4000,
        o.paymentsLevel ?? "error",
        "connection pool exhausted: waited 5000ms",
        { span_id: "p", parent_span_id: "c" },
        { pattern: POOL },
      ),
    );
  }
  for (let i = 0; i < (o.loudCallers ?? 1); i++) {
    lines.push(
      L("checkout", 5010 + i, "error", "call to payments failed: deadline exceeded", {
        span_id: "c",
        "peer.service": "payments",
      }),
    );
  }
  for (let i = 0; i < 2 * (o.loudCallers ?? 1); i++) {
    lines.push(L("gateway", 5050 + i, "error", "call to checkout failed: upstream error", { upstream: "checkout" }));
  }
  lines.push(L("gateway", 5100, "error", "request failed with status 502", { span_id: "g", duration_ms: 5100 }));
  return lines;
}

describe("correlateRequest: error origin", () => {
  it("a failure deep in the graph with every caller logging more errors than the origin", () => {
    const lines = [
      L("gateway", 0, "info", "in", { span_id: "g" }),
      L("checkout", 2, "info", "in", { span_id: "c", parent_span_id: "g" }),
      L("inventory", 4, "info", "in", { span_id: "i", parent_span_id: "c" }),
      L(
        "inventory-db",
        6,
        "error",
        "connection pool exhausted",
        { span_id: "d", parent_span_id: "i" },
        { pattern: POOL },
      ),
    ];
    for (let i = 0; i < 5; i++)
      lines.push(L("inventory", 10 + i, "error", "query failed", { upstream: "inventory-db" }));
    for (let i = 0; i < 10; i++) lines.push(L("checkout", 20 + i, "error", "call to inventory failed: 500"));
    for (let i = 0; i < 20; i++) lines.push(L("gateway", 40 + i, "error", "call to checkout failed", { span_id: "g" }));
    const c = run(lines);
    expect(c.origin?.service).toBe("inventory-db");
    expect(c.origin?.chain).toEqual(["inventory-db", "inventory", "checkout", "gateway"]);
    expect(c.origin!.confidence).toBeGreaterThan(0.5);
    expect(c.origin?.recommendation).toEqual({ pattern: POOL.id, title: POOL.title, remediation: POOL.remediation });
    expect(c.origin!.evidence.some((e) => e.startsWith("inventory → inventory-db"))).toBe(true);
    expect(c.origin!.evidence.some((e) => e.includes("connection pool exhausted"))).toBe(true);
    expect(c.origin!.alternatives.map((a) => a.service)).not.toContain("gateway");
  });

  it("an origin that logs late, after its callers failed, and only at warn", () => {
    const c = run(failingAtPayments({ paymentsLevel: "warn", paymentsAt: 9000, loudCallers: 6 }));
    expect(c.origin?.service).toBe("payments");
    expect(c.origin?.chain).toEqual(["payments", "checkout", "gateway"]);
    expect(c.origin?.reason).toContain("payments failed and it calls no other service");
    expect(c.origin!.evidence.some((e) => e.startsWith("payments warn:"))).toBe(true);
    expect(c.narrative).toMatch(/^request 4f2a9c0d11e2 failed at payments: connection pool exhausted/);
    expect(c.narrative).toContain("gateway → checkout → payments");
  });

  it("a red herring that started earlier, both off the path and isolated, is not the origin", () => {
    const lines = [
      ...Array.from({ length: 30 }, (_, i) =>
        L("notifications", -500 + i, "error", "failed to render email template: missing locale"),
      ),
      L("search", 1, "error", "index shard 3 slow, serving partial results", { span_id: "s", parent_span_id: "g" }),
      L("search", 30, "info", "done", { span_id: "s", parent_span_id: "g" }),
      ...failingAtPayments({}),
    ];
    const c = run(lines);
    expect(c.origin?.service).toBe("payments");
    expect(c.origin?.chain).toEqual(["payments", "checkout", "gateway"]);
    expect(edge(c, "gateway", "search")).toBeDefined();
    const alt = new Map(c.origin!.alternatives.map((a) => [a.service, a.score]));
    expect(alt.get("search")!).toBeLessThan(c.origin!.confidence);
    expect(alt.get("notifications")!).toBeLessThan(c.origin!.confidence);
  });

  it("a silent origin: a node known only from its callers, and the evidence says so", () => {
    const c = run(failingAtPayments({ silent: true, loudCallers: 3 }));
    expect(c.origin?.service).toBe("payments");
    const payments = node(c, "payments");
    expect(payments).toMatchObject({ lines: 0, silent: true, errors: 0, self_ms: null });
    expect(edge(c, "checkout", "payments")?.evidence).toEqual(["field"]);
    expect(c.origin!.evidence).toContain(
      "payments logged no line: it exists in the graph only because its callers name it",
    );
    expect(c.origin?.reason).toContain("payments logged nothing");
    expect(c.origin?.chain).toEqual(["payments", "checkout", "gateway"]);
  });

  it("says where the time went", () => {
    const c = run(failingAtPayments({}), "4f2a9c0d11e2ffee00aa");
    expect(c.critical_path.map((p) => p.service)).toEqual(["gateway", "checkout", "payments"]);
    expect(c.narrative).toContain("request 4f2a9c0d… failed at payments");
    expect(c.narrative).toMatch(/\d\.\d s of 5\.1 s spent waiting on (checkout|payments)/);
  });

  it("a request that only warned is not said to have failed", () => {
    const c = run([
      L("checkout", 0, "info", "in", { upstream: "inventory" }),
      L("inventory", 5, "warn", "slow query took 900ms"),
      L("checkout", 1000, "info", "out"),
    ]);
    expect(c.origin?.service).toBe("inventory");
    expect(c.narrative).toContain("logged no error; its warnings start at inventory: slow query took 900ms");
    expect(c.mermaid).toContain('"inventory, 1 warn"');
  });

  it("answers an empty request without a graph", () => {
    const c = run([]);
    expect(c.graph).toEqual({ nodes: [], edges: [] });
    expect(c.origin).toBeNull();
    expect(c.critical_path).toEqual([]);
    expect(c.mermaid.startsWith("flowchart LR")).toBe(true);
  });

  it("clips evidence lines", () => {
    const long = "x".repeat(5000);
    const c = run([L("checkout", 0, "error", `boom ${long}`)]);
    expect(c.origin?.service).toBe("checkout");
    for (const e of c.origin!.evidence) expect(e.length).toBeLessThan(400);
  });
});

describe("correlateWindow", () => {
  function windowLines() {
    const lines: CorrelatedLine[] = [];
    for (let r = 0; r < 30; r++) {
      const id = `req-${r}`;
      const t = r * 10_000;
      const fail = r % 3 === 0;
      lines.push(
        L("gateway", t, "info", "in", { span_id: `g${r}` }, { id }),
        L("checkout", t + 10, "info", "in", { span_id: `c${r}`, parent_span_id: `g${r}` }, { id }),
        L("checkout", t + 20, "info", "charge", { upstream: "payments", duration_ms: fail ? 3000 : 100 }, { id }),
      );
      if (fail) {
        lines.push(
          L("payments", t + 3100, "warn", "connection pool exhausted", {}, { id, pattern: POOL }),
          L("checkout", t + 3050, "error", "call to payments failed", { upstream: "payments" }, { id }),
          L("gateway", t + 3060, "error", "request failed with status 502", {}, { id }),
        );
      } else {
        lines.push(L("payments", t + 15, "info", "charged", {}, { id }));
      }
      lines.push(L("gateway", t + (fail ? 3070 : 200), "info", "out", { span_id: `g${r}` }, { id }));
    }
    // lines without an id: a steady distractor
    for (let i = 0; i < 5; i++)
      lines.push(L("notifications", i * 60_000, "error", "template missing", {}, { id: null }));
    return lines;
  }

  it("aggregates requests into a dependency map with calls, error rates and latency", () => {
    const c = correlateWindow(windowLines(), { knownServices: KNOWN });
    expect(c.mode).toBe("window");
    const cp = edge(c, "checkout", "payments")!;
    expect(cp.calls).toBe(30); // one call per request: the line reporting its duration
    expect(cp.errors).toBe(10);
    const gc = edge(c, "gateway", "checkout")!;
    expect(gc.calls).toBe(30);
    expect(gc.evidence).toContain("span");
    expect(node(c, "gateway").requests).toBe(30);
    expect(node(c, "payments").requests).toBe(30);
    expect(node(c, "notifications").lines).toBe(5);
    expect(node(c, "notifications").requests).toBe(0);
    expect(c.origin?.service).toBe("payments");
    expect(c.origin?.reason).toContain("payments is the origin in 10 of 10 failing request(s)");
    expect(c.origin?.chain).toEqual(["payments", "checkout", "gateway"]);
    expect(c.origin?.recommendation?.pattern).toBe(POOL.id);
    expect(c.critical_path[0]?.service).toBe("gateway");
    expect(c.mermaid.startsWith("flowchart LR")).toBe(true);
    expect(c.narrative).toContain("errors most likely start at payments");
  });

  it("falls back to /query's ranking for lines without ids", () => {
    const lines = windowLines().map((l) => ({ ...l, id: undefined }));
    const c = correlateWindow(lines, { knownServices: KNOWN });
    expect(c.origin?.service).toBe("payments");
    expect(c.origin?.reason).toContain("the lines without an id point at payments");
    expect(c.graph.edges.some((e) => e.evidence.includes("timing"))).toBe(false);
  });

  it("a request that only warned weighs less than failing ones", () => {
    const lines = [
      ...failingAtPayments({}).map((l) => ({ ...l, id: "f1" })),
      ...failingAtPayments({}).map((l) => ({ ...l, id: "f2" })),
      ...[0, 1, 2, 3, 4].flatMap((r) => [
        L("checkout", 0, "info", "reserve", { upstream: "inventory" }, { id: `w${r}` }),
        L("inventory", 5, "warn", "slow query", {}, { id: `w${r}` }),
      ]),
    ];
    const c = correlateWindow(lines, { knownServices: KNOWN });
    expect(c.origin?.service).toBe("payments");
    expect(c.origin?.reason).toContain("payments is the origin in 2 of 2 failing request(s)");
    expect(c.origin?.alternatives.map((a) => a.service)).toContain("inventory");
  });

  it("has no origin for a window without problems", () => {
    const c = correlateWindow([L("gateway", 0, "info", "ok", {}, { id: "a" })], { knownServices: KNOWN });
    expect(c.origin).toBeNull();
  });
});

describe("mermaid", () => {
  const hostile = ['a"];click x', "<script>alert(1)</script>", "b\n  click n0 call evil()", "c|d{e}"];

  it("quotes labels and strips what Mermaid would interpret", () => {
    const lines = hostile.map((s, i) => L(s, i * 10, "error", "boom", { upstream: hostile[i + 1] ?? "payments" }));
    const c = correlateRequest(lines, { knownServices: [...KNOWN, ...hostile] });
    const text = c.mermaid;
    const body = text.split("\n").slice(1);
    for (const line of body) {
      expect(line).toMatch(
        /^ {2}(n\d+\["[A-Za-z0-9 _.:/@+,~-]*"\]|n\d+ (-->|==>|-\.->)\|"[A-Za-z0-9 ,.]*"\| n\d+|classDef \w+ [\w:#,. -]+|class [n\d,]+ \w+|%% [\w ,()]+)$/,
      );
    }
    expect(text).not.toContain("<");
    expect(text).not.toContain(";");
    expect(text).toContain('["aclick x, 1 err"]');
    expect(text).toContain("classDef origin");
    expect(mermaidLabel('a"];click x')).toBe("aclick x");
    expect(mermaidLabel("<script>")).toBe("script");
    expect(mermaidLabel("")).toBe("unnamed");
  });

  it("highlights the origin and labels edges", () => {
    const c = run(failingAtPayments({}));
    const id = c.mermaid.match(/ (n\d+)\["payments/)?.[1];
    expect(c.mermaid).toContain(`class ${id} origin`);
    expect(c.mermaid).toMatch(/==>\|"1 call, 1 err, \d+ ms"\|/);
    // the route's form: a (trimmed) graph and the origin
    expect(mermaid(c.graph, c.origin)).toContain(`class ${id} origin`);
  });

  it("caps the nodes and says what was left out", () => {
    const names = Array.from({ length: 80 }, (_, i) => `svc-${i}`);
    const lines = names.map((s, i) => L(s, i, "info", "x", { upstream: names[i + 1] ?? "svc-0" }));
    const c = correlateRequest(lines, { knownServices: names });
    const nodes = c.mermaid.split("\n").filter((l) => /^ {2}n\d+\[/.test(l));
    expect(nodes).toHaveLength(60);
    expect(c.mermaid).toContain("%% 20 of 80 services and");
  });
});

describe("bounded cost", () => {
  it("correlates a 20,000-line request across 20 services", () => {
    const services = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const lines: CorrelatedLine[] = [];
    for (let i = 0; i < 20_000; i++) {
      const k = i % 20;
      const parent = k === 0 ? {} : { parent_span_id: `span-${Math.floor((k - 1) / 2)}` };
      const level: Level = k === 13 && i > 19_000 ? "error" : "info";
      lines.push(
        L(
          services[k]!,
          i * 0.25,
          level,
          level === "error" ? `step ${i} failed` : `step ${i} calling s${(k * 2 + 1) % 20}`,
          {
            span_id: `span-${k}`,
            ...parent,
          },
        ),
      );
    }
    const c = correlateRequest(lines, { knownServices: services });
    expect(c.graph.nodes).toHaveLength(20);
    expect(c.origin?.service).toBe("s13");
    expect(c.origin?.chain.at(-1)).toBe("s0");
    expect(c.critical_path[0]?.service).toBe("s0");
    const w = correlateWindow(
      lines.map((l, i) => ({ ...l, id: `r${Math.floor(i / 40)}` })),
      { knownServices: services },
    );
    expect(w.graph.nodes).toHaveLength(20);
  });
});
