import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Generated, generateScenario, type Incident } from "../../scripts/datagen/generator.ts";
import { failedRequests, type IdStyle, withIdVariations } from "../../scripts/datagen/ids.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { MEDIA, SHOP, type Topology } from "../../scripts/datagen/topology.ts";
import { nsFromMs } from "../../src/loki/time.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

/**
 * GET /correlate on the real Loki, with the generator's shop and media platforms: each service writes the
 * request's id its own way (traceId, correlation_id, request_id, x-request-id, a W3C traceparent, structured
 * metadata only), incidents sit deep in the graph with loud callers and a quiet, late origin, one origin logs
 * nothing at all for the requests it failed, and a steady harmless error runs in an uninvolved service.
 */
const MIN = 60_000;
const now = Date.now();
const PATH = "/api/v1/ai_logs/correlate";

interface Seeded {
  name: string;
  topology: Topology;
  tenant: string;
  generated: Generated;
  incidents: Incident[];
  silent: string[];
}

const at = (from: number, to: number) => ({ start: now - from * MIN, end: now - to * MIN });

function scenario(
  topology: Topology,
  seed: number,
  incidents: Incident[],
  styles: Record<string, IdStyle>,
  silent: string[],
) {
  const raw = generateScenario({ topology, start: now - 50 * MIN, end: now - 2 * MIN, rps: 0.7, seed, incidents });
  return withIdVariations(raw, { entry: topology.entry, styles, silent });
}

const shopIncidents: Incident[] = [
  { service: "inventory-db", kind: "db_pool_exhausted", ...at(46, 40) },
  { service: "payments", kind: "disk_full", ...at(34, 28) },
  { service: "ledger", kind: "oom_crash", ...at(20, 14) },
];
const mediaIncidents: Incident[] = [
  { service: "keystore", kind: "tls_expired", ...at(44, 38) },
  { service: "search", kind: "slow_queries", ...at(26, 20) },
];

const seeded: Seeded[] = [
  {
    name: "shop",
    topology: SHOP,
    tenant: runId("corr_shop"),
    incidents: shopIncidents,
    silent: ["ledger"],
    generated: scenario(
      SHOP,
      5,
      shopIncidents,
      {
        gateway: "traceId",
        auth: "request_id",
        checkout: "correlation_id",
        inventory: "x-request-id",
        "inventory-db": "traceparent",
        payments: "metadata",
      },
      ["ledger"],
    ),
  },
  {
    name: "media",
    topology: MEDIA,
    tenant: runId("corr_media"),
    incidents: mediaIncidents,
    silent: [],
    generated: scenario(
      MEDIA,
      8,
      mediaIncidents,
      {
        edge: "traceparent",
        catalog: "correlation_id",
        search: "traceId",
        playback: "request_id",
        drm: "metadata",
        "cdn-router": "x-request-id",
      },
      [],
    ),
  },
];

const apps = new Map<string, ReturnType<typeof buildTestApp>>();
const PROBE = "c0ffee00c0ffee00c0ffee00c0ffee00";

beforeAll(async () => {
  for (const s of seeded) {
    const loki = lokiClient(services().lokiMtUrl, s.tenant);
    await seedLoki(loki, s.generated);
    if (s.name === "shop") {
      // One line carries PROBE; three hold its text inside longer ids or words.
      const ts = nsFromMs(now - 5 * MIN);
      await loki.push([
        {
          stream: { service_name: "probe", env: "prod" },
          values: [
            [ts, `{"level":"error","msg":"probe failed","trace_id":"${PROBE}"}`],
            [ts + 1n, `level=error msg="other request" trace_id=${PROBE}ab`],
            [ts + 2n, `ERROR retry of x${PROBE} failed`],
            [ts + 3n, `ERROR batch ${PROBE}-7 failed`],
          ],
        },
      ]);
    }
    await loki.close();
    apps.set(s.name, buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: s.tenant }));
  }
});
afterAll(async () => {
  await Promise.all([...apps.values()].map((a) => a.close()));
});

const get = (name: string, query: QueryParams) => getJson(apps.get(name)!.app, PATH, query);
const ANSWER_KEYS = [
  "bottlenecks",
  "critical_path",
  "dropped",
  "graph",
  "hints",
  "mermaid",
  "mode",
  "narrative",
  "origin",
  "tokens",
];

/** Failed requests whose failure started in the incident's service (failed during it, away from its edges). */
function failuresOf(s: Seeded, incident: Incident): string[] {
  return failedRequests(s.generated.records, s.topology.entry)
    .filter((f) => f.ms > incident.start + 20_000 && f.ms < incident.end - 20_000)
    .map((f) => f.id);
}

describe.each(seeded.map((s) => [s.name, s] as const))("%s", (_name, s) => {
  describe.each(s.incidents.map((i) => [i.service, i] as const))("incident at %s", (service, incident) => {
    it("request mode: the origin is the seeded service, its chain ends at the entry", async () => {
      const ids = failuresOf(s, incident);
      expect(ids.length).toBeGreaterThan(3);
      for (const id of [ids[0]!, ids[Math.floor(ids.length / 2)]!, ids.at(-1)!]) {
        const { status, body } = await get(s.name, { trace_id: id });
        expect(status, JSON.stringify(body)).toBe(200);
        expect(Object.keys(body).sort()).toEqual(ANSWER_KEYS);
        expect(body.mode).toBe("request");
        expect(body.origin?.service, `${id}: ${JSON.stringify(body.origin)}`).toBe(service);
        expect(body.origin.chain[0]).toBe(service);
        expect(body.origin.chain.at(-1)).toBe(s.topology.entry);
        const nodes = body.graph.nodes.map((n: { id: string }) => n.id);
        // Every service of the chain that logged is a node; a silent origin is known from its callers only.
        for (const hop of body.origin.chain.slice(1)) expect(nodes).toContain(hop);
        if (s.silent.includes(service)) {
          const node = body.graph.nodes.find((n: { id: string }) => n.id === service);
          expect(node === undefined || (node.silent === true && node.lines === 0), JSON.stringify(node)).toBe(true);
        }
        expect(body.hints[0]).toMatch(new RegExp(`^Searched .* for ${id}: first seen at `));
      }
    });

    it("window mode: the origin of the window's errors is the seeded service", async () => {
      const { status, body } = await get(s.name, {
        start: new Date(incident.start).toISOString(),
        end: new Date(incident.end).toISOString(),
      });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.mode).toBe("window");
      expect(body.origin?.service, JSON.stringify(body.origin)).toBe(service);
      expect(body.graph.edges.length).toBeGreaterThan(0);
      expect(body.hints[0]).toMatch(/^Read \d[\d,]* lines from/);
    });
  });

  it("window mode over a quiet stretch maps the calls of the topology", async () => {
    const { status, body } = await get(s.name, { start: new Date(now - 12 * MIN).toISOString() });
    expect(status).toBe(200);
    const edges = new Set(body.graph.edges.map((e: { source: string; target: string }) => `${e.source}>${e.target}`));
    for (const svc of s.topology.services)
      for (const callee of svc.calls) expect(edges).toContain(`${svc.name}>${callee}`);
  });
});

describe("ids", () => {
  it("a W3C traceparent stands for its trace id", async () => {
    const s = seeded[0]!;
    const id = failuresOf(s, s.incidents[0]!)[0]!;
    const { status, body } = await get("shop", { trace_id: `00-${id}-00f067aa0ba902b7-01` });
    expect(status).toBe(200);
    expect(body.origin.service).toBe("inventory-db");
    expect(body.hints.join(" ")).toContain(`searched its trace id ${id}`);
  });

  it("the id is confirmed as a whole token: text inside longer ids or words is left out", async () => {
    const { status, body } = await get("shop", { trace_id: PROBE, since: "30m" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.graph.nodes.map((n: { id: string }) => n.id)).toEqual(["probe"]);
    expect(body.graph.nodes[0].lines).toBe(1);
    expect(body.hints.join(" ")).toMatch(/3 line\(s\) held c0ffee.* only inside a longer id or word/);
  });

  it("an id carried only in structured metadata is found (payments writes no id in its lines)", async () => {
    const s = seeded[0]!;
    const id = failuresOf(s, s.incidents[1]!)[0]!;
    const { body } = await get("shop", { trace_id: id });
    const payments = body.graph.nodes.find((n: { id: string }) => n.id === "payments");
    expect(payments?.lines).toBeGreaterThan(0);
  });

  it("an unknown id is a 404 problem naming the range searched and how to widen it", async () => {
    const res = await apps.get("shop")!.app.request(`${PATH}?trace_id=ffffffffffffffffffffffffffff0000&since=30m`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as Record<string, string>;
    expect(body.detail).toMatch(/between \d{4}-\d\d-\d\dT.* and \d{4}-/);
    expect(body.hint).toMatch(/Widen the search .*since=/);
  });
});

describe("bad input is a clear 4xx", () => {
  const cases: Array<[string, QueryParams, number, RegExp]> = [
    ["control characters", { trace_id: "abc\u0001def" }, 400, /control characters/],
    ["too long", { trace_id: "a".repeat(300) }, 400, /more than 256/],
    ["too short", { trace_id: "ab" }, 400, /fewer than 4/],
    ["spaces", { trace_id: "abc def" }, 400, /spaces/],
    ["bad since", { since: "yesterday" }, 400, /not a duration/],
    ["end before start", { start: "now-10m", end: "now-20m" }, 400, /not after start/],
    ["service with trace_id", { trace_id: "abcd1234", service: "gateway" }, 400, /trace_id/],
    ["max_tokens too small", { max_tokens: "10" }, 400, /max_tokens/],
  ];
  it.each(cases)("%s", async (_what, query, status, detail) => {
    const res = await get("shop", query);
    expect(res.status).toBe(status);
    expect(res.type).toContain("application/problem+json");
    expect(`${res.body.detail} ${JSON.stringify(res.body.errors ?? [])}`).toMatch(detail);
    expect(res.body.hint.length).toBeGreaterThan(10);
  });
});

describe("token budget", () => {
  it("a small max_tokens is respected and dropped says what went", async () => {
    const s = seeded[0]!;
    const window = s.incidents[0]!;
    const query = { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() };
    const full = await get("shop", { ...query, max_tokens: "200000" });
    expect(full.status).toBe(200);
    const max = Math.floor(full.body.tokens * 0.6);
    const { status, body } = await get("shop", { ...query, max_tokens: String(max) });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.tokens).toBeLessThanOrEqual(max);
    expect(body.dropped.notes.length).toBeGreaterThan(0);
    expect(body.dropped.details + body.dropped.edges + body.dropped.nodes).toBeGreaterThan(0);
    expect(body.origin.service).toBe(full.body.origin.service);
  });

  it("a request's answer fits too; below its skeleton a 422 says how much it needs", async () => {
    const s = seeded[1]!;
    const id = failuresOf(s, s.incidents[0]!)[0]!;
    const full = await get("media", { trace_id: id, max_tokens: "200000" });
    const max = Math.floor(full.body.tokens * 0.6);
    const { status, body } = await get("media", { trace_id: id, max_tokens: String(max) });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.tokens).toBeLessThanOrEqual(max);
    expect(body.dropped.notes.length).toBeGreaterThan(0);
    expect(body.origin.service).toBe("keystore");
    expect(body.origin.chain).toEqual(full.body.origin.chain);
    const tiny = await get("media", { trace_id: id, max_tokens: "200" });
    expect(tiny.status).toBe(422);
    expect(tiny.body.hint).toMatch(/Raise max_tokens to at least \d+/);
  });
});
