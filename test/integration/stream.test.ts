import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { nowNs } from "../../src/loki/time.ts";
import { openStream, type StreamClient, startTestServer, type TestServer } from "../harness/server.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";

// The live stream on the real Loki: lines pushed while subscribed arrive once each, with the filters
// applied in process on one shared tail per selector; `update` changes filters on the open socket;
// `resume` after the client's own reconnect replays what it missed; the tail limit is a clear error.

const loki = lokiClient();

/** Pushes `lines` of one service, one nanosecond apart, now. */
async function push(service: string, lines: string[], labels: Record<string, string> = {}) {
  const t = nowNs();
  await loki.push([
    {
      stream: { service_name: service, ...labels },
      values: lines.map((l, i) => [t + BigInt(i), l] as [bigint, string]),
    },
  ]);
}

/** The last entries seq each client saw (for resume). */
const lastSeq = new WeakMap<StreamClient, number>();

/** Every entry line received on `c` until `want` lines came (or the timeout), then `quietMs` more. */
async function collect(c: StreamClient, want: number, timeoutMs = 20_000, quietMs = 1_500): Promise<string[]> {
  const got: string[] = [];
  const take = async (until: number) => {
    const m = await c.next("entries", Math.max(100, until - Date.now())).catch(() => undefined);
    if (!m) return;
    expect(m.seq).toBe((lastSeq.get(c) ?? m.seq - 1) + 1); // no gap, no repeat
    lastSeq.set(c, m.seq);
    got.push(...m.entries.map((e: { line: string }) => e.line));
  };
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) await take(deadline);
  const quietUntil = Date.now() + quietMs;
  while (Date.now() < quietUntil) await take(quietUntil);
  return got;
}

describe("WS /stream on the real Loki", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STREAM_STATS_MS: "500" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("delivers each pushed line once, with the subscription's filters", async () => {
    const svc = runId("pay");
    const c = await openStream(server.wsUrl);
    expect((await c.next("hello")).protocol).toBe(1);
    c.send({ type: "subscribe", id: "s1", services: [svc], levels: ["error"], contains: ["card"] });
    const sub = await c.next("subscribed");
    expect(sub).toMatchObject({ id: "s1", seq: 0, resumed: false, selector: `{service_name="${svc}"}` });
    const lines = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? `ERROR card ${i} declined` : i % 3 === 1 ? `INFO card ${i} ok` : `ERROR cache ${i} miss`,
    );
    await push(svc, lines);
    const want = lines.filter((l) => l.startsWith("ERROR card"));
    const got = await collect(c, want.length);
    expect(got.sort()).toEqual(want.sort());
    const stats = await c.next("stats");
    expect(stats.id).toBe("s1");
    c.ws.close();
  });

  it("applies an update without reconnecting", async () => {
    const svc = runId("upd");
    const c = await openStream(server.wsUrl);
    c.send({ type: "subscribe", id: "u", services: [svc], contains: ["alpha"] });
    await c.next("subscribed");
    await push(svc, ["alpha 1", "beta 1"]);
    expect(await collect(c, 1, 10_000, 500)).toEqual(["alpha 1"]);
    c.send({ type: "update", id: "u", contains: ["beta"] });
    expect(await c.next("subscribed")).toMatchObject({ id: "u", resumed: false });
    await push(svc, ["alpha 2", "beta 2"]);
    expect(await collect(c, 1, 10_000, 500)).toEqual(["beta 2"]);
    c.ws.close();
  });

  it("shares one upstream tail between clients of one selector, and closes it when they leave", async () => {
    const svc = runId("share");
    const before = server.deps.stream.figures().upstream_tails;
    const a = await openStream(server.wsUrl);
    const b = await openStream(server.wsUrl);
    a.send({ type: "subscribe", id: "x", services: [svc], contains: ["one"] });
    b.send({ type: "subscribe", id: "x", services: [svc], contains: ["two"] });
    await a.next("subscribed");
    await b.next("subscribed");
    expect(server.deps.stream.figures().upstream_tails).toBe(before + 1);
    await push(svc, ["one", "two"]);
    expect(await collect(a, 1, 10_000, 300)).toEqual(["one"]);
    expect(await collect(b, 1, 10_000, 300)).toEqual(["two"]);
    a.send({ type: "unsubscribe", id: "x" });
    expect(await a.next("unsubscribed")).toMatchObject({ id: "x" });
    expect(server.deps.stream.figures().upstream_tails).toBe(before + 1); // b still reads it
    b.send({ type: "unsubscribe", id: "x" });
    await b.next("unsubscribed");
    expect(server.deps.stream.figures().upstream_tails).toBe(before);
    a.ws.close();
    b.ws.close();
  });

  it("answers a bad message with an error message and keeps the socket open", async () => {
    const c = await openStream(server.wsUrl);
    c.send({ type: "subscribe", id: "s", levles: ["error"] });
    const err = await c.next("error");
    expect(err.code).toBe("bad-message");
    expect(err.hint).toMatch(/subscribe/);
    c.ws.send("not json");
    expect((await c.next("error")).code).toBe("bad-message");
    c.send({ type: "subscribe", id: "s", regex: "(a)\\1" });
    expect(await c.next("error")).toMatchObject({ id: "s", code: "bad-regex" });
    c.send({ type: "resume", id: "nope", seq: 3 });
    expect(await c.next("error")).toMatchObject({ code: "unknown-subscription" });
    c.send({ type: "ping" });
    expect((await c.next("pong")).time).toBeTruthy();
    c.ws.close();
  });

  it("resumes after the client's own reconnect: the lines it missed, once, then live", async () => {
    const svc = runId("res");
    const first = await openStream(server.wsUrl);
    first.send({ type: "subscribe", id: "r", services: [svc] });
    await first.next("subscribed");
    await push(svc, ["line 1", "line 2"]);
    const seen = await collect(first, 2, 10_000, 300);
    expect(seen.sort()).toEqual(["line 1", "line 2"]);
    const seq = lastSeq.get(first);
    expect(seq).toBeGreaterThan(0);
    first.ws.close();
    await first.closed;
    await push(svc, ["line 3", "line 4"]);
    await new Promise((r) => setTimeout(r, 1_500)); // delivered to the parked subscription's hub meanwhile
    const second = await openStream(server.wsUrl);
    second.send({ type: "resume", id: "r", seq });
    lastSeq.set(second, seq!);
    const missed = await collect(second, 2, 10_000, 300);
    expect(missed.sort()).toEqual(["line 3", "line 4"]);
    expect(await second.next("subscribed")).toMatchObject({ id: "r", resumed: true, replayed: 2 });
    await push(svc, ["line 5"]);
    expect(await collect(second, 1, 10_000, 500)).toEqual(["line 5"]);
    second.ws.close();
  });

  it("refuses the 11th distinct selector of a tenant with a clear error, at once", async () => {
    // Its own server: the other tests' parked subscriptions hold tails of this tenant for their grace period.
    // On the multi-tenant Loki, with a tenant of its own (Loki counts its 10 tails per tenant, for every client).
    const own = await startTestServer({
      STREAM_RESUME_GRACE_MS: "0",
      LOKI_URL: services().lokiMtUrl,
      LOKI_TENANT: runId("tails"),
    });
    onTestFinished(() => own.close());
    const c = await openStream(own.wsUrl);
    await c.next("hello");
    const base = runId("lim");
    for (let i = 0; i < 10; i++) {
      c.send({ type: "subscribe", id: `s${i}`, services: [`${base}_${i}`] });
      const m = await c.next();
      expect(m.type, JSON.stringify(m)).toBe("subscribed");
    }
    const started = Date.now();
    c.send({ type: "subscribe", id: "s10", services: [`${base}_10`] });
    const err = await c.next("error", 5_000);
    expect(err).toMatchObject({ id: "s10", code: "too-many-tails" });
    expect(err.hint).toMatch(/STREAM_MAX_TAILS_PER_TENANT/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A subscription on a selector already open still works.
    c.send({ type: "subscribe", id: "again", services: [`${base}_3`] });
    expect(await c.next("subscribed")).toMatchObject({ id: "again" });
    expect(own.deps.stream.figures().upstream_tails).toBe(10);
    c.ws.close();
    await c.closed;
    // Without a grace period, the tails close with the last socket.
    await eventually(async () => (own.deps.stream.figures().upstream_tails === 0 ? true : undefined), 5_000);
  });

  it("maps Loki's own tail limit (tails held by other clients) to a clear error", async () => {
    const own = await startTestServer({
      STREAM_MAX_TAILS_PER_TENANT: "30",
      LOKI_URL: services().lokiMtUrl,
      LOKI_TENANT: runId("lokilimit"),
    });
    onTestFinished(() => own.close());
    const c = await openStream(own.wsUrl);
    await c.next("hello");
    const base = runId("ll");
    for (let i = 0; i < 10; i++) {
      c.send({ type: "subscribe", id: `s${i}`, services: [`${base}_${i}`] });
      await c.next("subscribed");
    }
    c.send({ type: "subscribe", id: "s10", services: [`${base}_10`] });
    const err = await c.next("error", 5_000);
    expect(err).toMatchObject({ id: "s10", code: "loki-tail-limit" });
    expect(err.hint).toMatch(/max_concurrent_tail_requests/);
    expect(own.deps.stream.figures().upstream_tails).toBe(10);
    c.ws.close();
  });
});
