import { afterAll, describe, expect, it } from "vitest";
import { LokiError } from "../../src/loki/errors.ts";
import { tail } from "../../src/loki/tail.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";

describe("Loki client on the real single-tenant Loki", () => {
  const loki = lokiClient();
  const run = runId();
  const start = nowNs() - 60n * NS_PER_S;
  afterAll(() => loki.close());

  it("pushes lines with structured metadata and reads them back", async () => {
    const t0 = nowNs() - 10n * NS_PER_S;
    await loki.push([
      {
        stream: { service_name: "checkout", run },
        values: [
          [t0, 'level=error msg="payment declined" order=17', { trace_id: "abc123", user: "u1" }],
          [t0 + 1n, "level=info msg=ok order=18"],
        ],
      },
      { stream: { service_name: "gateway", run }, values: [[t0 + 2n, '{"level":"warn","msg":"slow upstream"}']] },
    ]);
    const data = await eventually(async () => {
      const d = await loki.queryRange({
        query: `{run="${run}"}`,
        start,
        end: nowNs(),
        limit: 100,
        direction: "forward",
      });
      return d.resultType === "streams" && d.result.reduce((n, s) => n + s.values.length, 0) === 3 ? d : undefined;
    });
    expect(data.resultType).toBe("streams");
    if (data.resultType !== "streams") return;
    const entries = data.result.flatMap((s) => s.values.map((v) => ({ stream: s.stream, v })));
    const declined = entries.find((e) => e.v[1].includes("payment declined"));
    expect(declined?.v[0]).toBe(String(t0));
    expect(declined?.stream.service_name).toBe("checkout");
    // categorize-labels: structured metadata comes back apart from the stream labels
    expect(declined?.v[2]?.structuredMetadata).toMatchObject({ trace_id: "abc123", user: "u1" });
    expect(declined?.stream.trace_id).toBeUndefined();
  });

  it("filters by structured metadata in LogQL", async () => {
    const data = await loki.queryRange({ query: `{run="${run}"} | trace_id="abc123"`, start, end: nowNs() });
    expect(data.resultType).toBe("streams");
    if (data.resultType !== "streams") return;
    expect(data.result.flatMap((s) => s.values).map((v) => v[1])).toEqual([
      'level=error msg="payment declined" order=17',
    ]);
  });

  it("answers labels, label values, series, volume, stats and detected fields", async () => {
    const end = nowNs();
    expect(await loki.labels({ start, end })).toEqual(expect.arrayContaining(["run", "service_name"]));
    expect((await loki.labelValues("service_name", { start, end, query: `{run="${run}"}` })).sort()).toEqual([
      "checkout",
      "gateway",
    ]);
    const series = await loki.series({ match: [`{run="${run}"}`], start, end });
    expect(series.map((s) => s.service_name).sort()).toEqual(["checkout", "gateway"]);
    const volume = await loki.indexVolume({ query: `{run="${run}"}`, start, end, targetLabels: ["service_name"] });
    expect(volume.map((v) => v.metric.service_name).sort()).toEqual(["checkout", "gateway"]);
    expect(volume.every((v) => Number(v.value[1]) > 0)).toBe(true);
    const stats = await loki.indexStats({ query: `{run="${run}"}`, start, end });
    expect(stats).toEqual(expect.objectContaining({ streams: expect.any(Number), bytes: expect.any(Number) }));
    const fields = await loki.detectedFields({ query: `{run="${run}"}`, start, end });
    expect(fields.map((f) => f.label)).toEqual(expect.arrayContaining(["msg"]));
  });

  it("runs metric queries and instant queries", async () => {
    const end = nowNs();
    const matrix = await loki.queryRange({
      query: `sum by (service_name) (count_over_time({run="${run}"}[1m]))`,
      start,
      end,
      step: "15s",
    });
    expect(matrix.resultType).toBe("matrix");
    const vector = await loki.query({ query: `sum(count_over_time({run="${run}"}[5m]))`, time: end });
    expect(vector.resultType).toBe("vector");
    if (vector.resultType === "vector") expect(vector.result[0]?.value[1]).toBe("3");
  });

  it("formats valid LogQL and maps a syntax error to a typed parse error", async () => {
    expect(await loki.formatQuery(`{run="${run}"}|="x"`)).toBe(`{run="${run}"} |= "x"`);
    const err = await loki.formatQuery(`{run="${run}"`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).kind).toBe("parse");
    expect((err as LokiError).status).toBe(400);
    expect((err as LokiError).details.lokiMessage).toMatch(/parse error/);
  });

  it("maps Loki's limits to a typed limit error naming the limit", async () => {
    const err = await loki
      .queryRange({ query: `{run="${run}"}`, start, end: nowNs(), limit: 100_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).kind).toBe("limit");
    expect((err as LokiError).status).toBe(422);
    expect((err as LokiError).details.limit).toBe("max_entries_limit_per_query");
  });

  it("answers ready, build info and patterns", async () => {
    expect((await loki.ready()).ready).toBe(true);
    expect((await loki.buildInfo()).version).toBe("3.7.8");
    const patterns = await loki.patterns({ query: `{run="${run}"}`, start, end: nowNs() });
    expect(Array.isArray(patterns)).toBe(true);
  });

  it("maps an unreachable Loki to 'unavailable' and a deadline to 'timeout'", async () => {
    const dead = lokiClient("http://127.0.0.1:1");
    const err = await dead.ready().catch((e: unknown) => e);
    expect((err as LokiError).kind).toBe("unavailable");
    expect((err as LokiError).status).toBe(503);
    await dead.close();
    const slow = await loki
      .queryRange({ query: `{run="${run}"}`, start, end: nowNs() }, { timeoutMs: 1 })
      .catch((e: unknown) => e);
    expect((slow as LokiError).kind).toBe("timeout");
    expect((slow as LokiError).status).toBe(504);
  });

  it("honours the caller's abort signal", async () => {
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    const err = await loki.ready({ signal: controller.signal }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("caller gave up");
  });

  it("tails new lines over the WebSocket", async () => {
    const tailRun = runId("tail");
    const received: string[] = [];
    const handle = tail(
      loki,
      { query: `{run="${tailRun}"}`, delayFor: 0 },
      { onMessage: (m) => received.push(...m.streams.flatMap((s) => s.values.map((v) => v[1]))), onClose: () => {} },
    );
    await handle.opened;
    await loki.push([{ stream: { run: tailRun }, values: [[nowNs(), "live line 1"]] }]);
    await eventually(async () => (received.includes("live line 1") ? true : undefined), 15_000);
    handle.close();
  });
});

describe("Loki client on the real multi-tenant Loki", () => {
  const { lokiMtUrl } = services();
  const tenantA = lokiClient(lokiMtUrl, runId("tenantA"));
  const tenantB = tenantA.withTenant(runId("tenantB"));
  const noTenant = lokiClient(lokiMtUrl);
  const start = nowNs() - 60n * NS_PER_S;
  afterAll(async () => {
    await tenantA.close();
    await noTenant.close();
  });

  it("keeps each tenant's lines to itself", async () => {
    const t = nowNs() - NS_PER_S;
    await tenantA.push([{ stream: { service_name: "checkout" }, values: [[t, "tenant A secret"]] }]);
    await tenantB.push([{ stream: { service_name: "checkout" }, values: [[t, "tenant B secret", { k: "v" }]] }]);
    const lines = async (client: typeof tenantA) => {
      const d = await client.queryRange({ query: `{service_name="checkout"}`, start, end: nowNs() });
      return d.resultType === "streams" ? d.result.flatMap((s) => s.values.map((v) => v[1])) : [];
    };
    expect(await eventually(async () => ((await lines(tenantA)).length ? lines(tenantA) : undefined))).toEqual([
      "tenant A secret",
    ]);
    expect(await eventually(async () => ((await lines(tenantB)).length ? lines(tenantB) : undefined))).toEqual([
      "tenant B secret",
    ]);
    expect(tenantB.headers()["X-Scope-OrgID"]).toBe(tenantB.tenant);
  });

  it("refuses a call without a tenant with a clear typed error", async () => {
    const err = await noTenant.labels().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).message).toMatch(/tenant/i);
  });
});
