import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.ts";
import { loadPatternLibrarySync } from "../../src/patterns/library/index.ts";
import { createMiner } from "../../src/patterns/miner/index.ts";
import { AlertGate } from "../../src/stream/alerts.ts";
import { RecentLines } from "../../src/stream/dedupe.ts";
import { compileFilter, type StreamLine, sampleHash, streamLine } from "../../src/stream/filter.ts";
import { Novelty } from "../../src/stream/novelty.ts";
import { planUpstream } from "../../src/stream/plan.ts";
import { clientMessage, protocolJsonSchema } from "../../src/stream/protocol.ts";
import { ReplayBuffer } from "../../src/stream/replay.ts";
import { thrown } from "./helpers/thrown.ts";

const library = loadPatternLibrarySync();
const ms = (t: number) => `${BigInt(t) * 1_000_000n}`;
let offset = 0;
const line = (text: string, labels: Record<string, string> = { service_name: "api" }, ts = ms(1_000)): StreamLine =>
  streamLine(++offset, ts, text, labels, JSON.stringify(labels), {}, library);

describe("stream filters (in process, after the shared tail)", () => {
  it("keeps a line only when every given filter holds", () => {
    const f = compileFilter({ levels: ["error"], contains: ["timeout", "db"], regex: "after \\d+ms" }, library);
    expect(f.keep(line('{"level":"error","msg":"db timeout after 300ms"}'))).toBe(true);
    expect(f.keep(line('{"level":"warn","msg":"db timeout after 300ms"}'))).toBe(false);
    expect(f.keep(line('{"level":"error","msg":"db timeout soon"}'))).toBe(false);
    expect(f.keep(line('{"level":"error","msg":"cache timeout after 3ms"}'))).toBe(false);
  });

  it("reads modes as /query does (errors = error and fatal, troubleshoot adds warn and trouble words)", () => {
    const errors = compileFilter({ mode: "errors" }, library);
    const trouble = compileFilter({ mode: "troubleshoot" }, library);
    expect(errors.keep(line("ERROR payment failed"))).toBe(true);
    expect(errors.keep(line("WARN slow payment"))).toBe(false);
    expect(trouble.keep(line("WARN slow payment"))).toBe(true);
    expect(trouble.keep(line("INFO all good"))).toBe(false);
    expect(errors.parses && trouble.parses).toBe(true);
  });

  it("filters by library pattern and refuses ids the library does not have", () => {
    const f = compileFilter({ patterns: ["conn-refused"] }, library);
    expect(f.keep(line("Error: connect ECONNREFUSED 127.0.0.1:6379"))).toBe(true);
    expect(f.keep(line("GET /health 200"))).toBe(false);
    const err = thrown(() => compileFilter({ patterns: ["conn-refused", "no-such-pattern"] }, library));
    expect(err.code).toBe("unknown-pattern");
    expect(err.detail).toContain('"no-such-pattern"');
  });

  it("refuses a regex RE2 cannot run, with a hint", () => {
    const err = thrown(() => compileFilter({ regex: "(a)\\1" }, library));
    expect(err.kind).toBe("invalid");
    expect(err.hint).toMatch(/RE2/);
  });

  it("samples the same lines every time, at about the given rate", () => {
    const f = compileFilter({ sample: 0.25 }, library);
    const lines = Array.from({ length: 4000 }, (_, i) => line(`request ${i} done`, undefined, ms(i)));
    const kept = lines.filter((l) => f.keep(l)).length;
    expect(kept).toBeGreaterThan(800);
    expect(kept).toBeLessThan(1200);
    expect(lines.filter((l) => f.keep(l)).map((l) => l.line)).toEqual(
      lines.filter((l) => compileFilter({ sample: 0.25 }, library).keep(l)).map((l) => l.line),
    );
    expect(sampleHash("1", "x")).toBe(sampleHash("1", "x"));
  });

  it("costs linear time on a hostile line (a 1 MB line with a regex and contains)", () => {
    const f = compileFilter({ regex: "(a+)+b", contains: ["zzz"] }, library);
    expect(f.keep(line("a".repeat(1_000_000)))).toBe(false);
  });
});

describe("the upstream plan (the shared tail a subscription reads)", () => {
  const catalog = {
    label: "service_name",
    services: [{ name: "auth", label: "service_name", values: ["shop/auth"], bytes: 1 }],
  };

  it("reads every service without services, one selector per service set (sorted)", () => {
    expect(planUpstream({}, catalog).query).toBe('{service_name=~".+"}');
    expect(planUpstream({ services: ["b", "a"] }, catalog).query).toBe(
      planUpstream({ services: ["a", "b"] }, catalog).query,
    );
    expect(planUpstream({ services: ["auth"] }, catalog).query).toBe('{service_name="shop/auth"}');
    expect(planUpstream({ services: ["ghost"] }, catalog).unknownServices).toEqual(["ghost"]);
  });

  it("shares a bare LogQL selector whatever the order of its matchers, and runs a pipeline as given", () => {
    const a = planUpstream({ logql: '{env="prod", app="x"}' }, catalog).query;
    const b = planUpstream({ logql: '{app="x",env="prod"}' }, catalog).query;
    expect(a).toBe(b);
    expect(planUpstream({ logql: '{app="x"} | json | status >= 500 # five hundreds' }, catalog).query).toBe(
      '{app="x"} | json | status >= 500',
    );
  });

  it("refuses metric queries, several selectors, match-all selectors and logql with services", () => {
    expect(thrown(() => planUpstream({ logql: 'rate({app="x"}[1m])' }, catalog)).code).toBe("not-a-log-query");
    expect(thrown(() => planUpstream({ logql: '{app=~".*"}' }, catalog)).code).toBe("bad-logql");
    expect(thrown(() => planUpstream({ logql: "{app=" }, catalog)).code).toBe("bad-logql");
    expect(thrown(() => planUpstream({ logql: '{app="x"}', services: ["a"] }, catalog)).code).toBe(
      "logql-and-services",
    );
  });
});

describe("de-duplication and the replay buffer", () => {
  it("drops a line seen before (same time, stream, content), keeps a different one", () => {
    const r = new RecentLines(10_000_000_000n, 1000);
    const s = { app: "a", pod: "1" };
    expect(r.add("1", s, "a")).toBe(true);
    expect(r.add("1", { ...s }, "a")).toBe(false);
    expect(r.add("1", { app: "a", pod: "2" }, "a")).toBe(true); // another stream, same time and text
    expect(r.add("2", s, "a")).toBe(true);
  });

  it("knows a line Loki labelled with its metadata merged in (a tail's lookback) as the same line", () => {
    const r = new RecentLines(10_000_000_000n, 1000);
    expect(r.add("1", { service_name: "x" }, "hello")).toBe(true);
    expect(r.add("1", { service_name: "x", detected_level: "unknown" }, "hello")).toBe(false);
    expect(r.add("2", { service_name: "x", detected_level: "info" }, "hello")).toBe(true);
    expect(r.add("2", { service_name: "x" }, "hello")).toBe(false);
  });

  it("stays within its bound of keys", () => {
    const r = new RecentLines(10n ** 18n, 100);
    for (let i = 0; i < 1000; i++) r.add(String(i), {}, "x");
    expect(r.size).toBeLessThanOrEqual(100);
  });

  it("forgets lines older than its window", () => {
    const r = new RecentLines(10n, 1000);
    r.add("1", {}, "a");
    r.add("100", {}, "b");
    r.prune();
    expect(r.add("1", {}, "a")).toBe(true);
    expect(r.add("100", {}, "b")).toBe(false);
  });

  it("replays what came after an offset, and counts exactly what is beyond it", () => {
    const b = new ReplayBuffer<{ offset: number }>(5);
    for (let o = 1; o <= 12; o++) b.push({ offset: o });
    expect(b.oldest).toBe(8);
    expect(b.after(9)).toEqual({ items: [{ offset: 10 }, { offset: 11 }, { offset: 12 }], missed: 0 });
    expect(b.after(3).missed).toBe(4); // 4..7 are gone
    expect(b.after(3).items.map((i) => i.offset)).toEqual([8, 9, 10, 11, 12]);
    expect(b.after(12).items).toEqual([]);
  });
});

describe("alerts: one per pattern or template and window", () => {
  const hit = (t: number, text: string, service = "api") => ({
    tsNs: ms(t),
    service,
    line: text,
    level: "error" as const,
  });

  it("sends the first hit of a window, counts the rest, and says how many were held back", () => {
    const gate = new AlertGate(60_000, (id) => library.get(id));
    const text = "connect ECONNREFUSED 10.0.0.1:5432";
    const [m] = library.match(text);
    const first = gate.pattern(hit(0, text), m!);
    expect(first).toMatchObject({ kind: "pattern", pattern: { id: "conn-refused" }, count: 1, suppressed: 0 });
    expect(first?.remediation).toBeTruthy();
    expect(gate.pattern(hit(1_000, text), m!)).toBeUndefined();
    expect(gate.pattern(hit(2_000, text), m!)).toBeUndefined();
    expect(gate.pattern(hit(61_000, text), m!)).toMatchObject({ count: 1, suppressed: 2 });
    expect(gate.pattern(hit(1_000, text, "other"), m!)).toBeDefined(); // per service
  });

  it("alerts a burst pattern only when its count is reached within its window, per group", () => {
    const gate = new AlertGate(60_000, (id) => library.get(id));
    const from = (ip: string) => `sshd[1]: Failed password for root from ${ip} port 22 ssh2`;
    const m = (ip: string) => library.match(from(ip)).find((x) => x.id === "sec-brute-force")!;
    const alerts = [];
    for (let i = 0; i < 9; i++) alerts.push(gate.pattern(hit(i * 1000, from("203.0.113.5")), m("203.0.113.5")));
    alerts.push(gate.pattern(hit(9_500, from("198.51.100.1")), m("198.51.100.1")));
    expect(alerts.filter(Boolean)).toHaveLength(0);
    const tenth = gate.pattern(hit(9_900, from("203.0.113.5")), m("203.0.113.5"));
    expect(tenth).toMatchObject({ pattern: { id: "sec-brute-force" }, severity: "high" });
  });

  it("alerts a new template once per window", () => {
    const gate = new AlertGate(60_000, () => undefined);
    expect(gate.newTemplate(hit(0, "x"), "disk <*> failed")).toMatchObject({ kind: "new_template", severity: "high" });
    expect(gate.newTemplate(hit(5, "x"), "disk <*> failed")).toBeUndefined();
  });
});

describe("new templates per service", () => {
  it("reports a problem line whose template the service never showed, once; quiet while warming up", async () => {
    let now = 0;
    const seeded = createMiner({ messageKeys: [] });
    seeded.train("payment failed for order 1");
    seeded.train("payment failed for order 2");
    const n = new Novelty(
      async (service) =>
        service === "known" ? { miner: seeded, known: 1 } : { miner: createMiner({ messageKeys: [] }), known: 0 },
      30_000,
      silentLogger,
      () => now,
    );
    const parts = (text: string) => ({ line: text, message: text, fields: {} });
    expect(n.check("known", parts("payment failed for order 3"))).toBeUndefined(); // loading
    expect(n.check("fresh", parts("disk full on sda1"))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(n.check("known", parts("payment failed for order 4"))).toBeUndefined();
    expect(n.check("known", parts("cannot reach ledger at 10.0.0.9"))).toMatch(/cannot reach ledger/);
    expect(n.check("known", parts("cannot reach ledger at 10.0.0.9"))).toBeUndefined();
    expect(n.check("fresh", parts("disk full on sda1"))).toBeUndefined(); // warming up: learned silently
    now = 31_000;
    expect(n.check("fresh", parts("disk full on sda1"))).toBeUndefined(); // known by now
    expect(n.check("fresh", parts("raid degraded array md0"))).toMatch(/raid degraded/);
  });
});

describe("the protocol", () => {
  it("accepts the documented client messages and refuses unknown fields and types", () => {
    const ok = [
      {
        type: "subscribe",
        id: "s1",
        services: ["api"],
        levels: ["error"],
        contains: ["x"],
        regex: "a|b",
        patterns: ["conn-refused"],
        sample: 0.5,
      },
      { type: "update", id: "s1", levels: [] },
      { type: "unsubscribe", id: "s1" },
      { type: "resume", id: "s1", seq: 41 },
      { type: "ping" },
      { type: "ping", v: 1 },
    ];
    for (const m of ok) expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(true);
    const bad = [
      { type: "subscribe", id: "s1", servics: ["api"] },
      { type: "subscribe", id: "" },
      { type: "subscribe", id: "a b" },
      { type: "resume", id: "s1", seq: -1 },
      { type: "resume", id: "s1", seq: 1.5 },
      { type: "ping", v: 2 },
      { type: "nope" },
      { type: "subscribe", id: "s", sample: 0 },
      { type: "subscribe", id: "s", services: Array(51).fill("a") },
    ];
    for (const m of bad) expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(false);
  });

  it("is published as a JSON Schema document", () => {
    const schema = protocolJsonSchema() as { $defs: { client: unknown; server: unknown } };
    expect(JSON.stringify(schema.$defs.client)).toContain('"subscribe"');
    expect(JSON.stringify(schema.$defs.server)).toContain('"entries"');
  });
});
