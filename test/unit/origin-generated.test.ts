import { describe, expect, it } from "vitest";
import { type GeneratedRecord, generateScenario, type IncidentKind } from "../../scripts/datagen/generator.ts";
import { MEDIA, SHOP, type Topology } from "../../scripts/datagen/topology.ts";
import { findMentions, likelyOrigin, type ProblemLine } from "../../src/correlate/origin.ts";
import { isProblemLevel, parseLine } from "../../src/query/lines.ts";

// Every IncidentKind of the generator: adding one to the type without listing it here fails tsc.
const KIND_SET: Record<IncidentKind, true> = {
  db_pool_exhausted: true,
  slow_queries: true,
  oom_crash: true,
  disk_full: true,
  tls_expired: true,
};
const KINDS = Object.keys(KIND_SET) as IncidentKind[];

const START = Date.UTC(2026, 10, 24, 12, 0, 0);
// Six minutes of traffic, the incident in the middle two (kept short: 60+ scenarios run here).
const END = START + 6 * 60_000;
const INCIDENT = { start: START + 2 * 60_000, end: START + 4 * 60_000 };

/** Short service name from the stream labels, as deployments label them. */
const serviceOfLabels = (labels: Record<string, string>) =>
  (labels.service_name ?? labels.app ?? labels.job ?? "unknown").replace(/^shop\//, "");

function problemLines(records: GeneratedRecord[], known: string[]): ProblemLine[] {
  const out: ProblemLine[] = [];
  for (const r of records) {
    const parsed = parseLine({ line: r.line, labels: r.labels, metadata: r.metadata ?? {} });
    if (!isProblemLevel(parsed.level)) continue;
    const service = serviceOfLabels(r.labels);
    out.push({
      service,
      ts: Number(r.tsNs / 1_000_000n),
      level: parsed.level,
      message: parsed.message,
      traceId: parsed.traceId,
      mentions: findMentions(service, parsed.message, parsed.fields, known),
    });
  }
  return out;
}

/** Services some other service calls (those that can be the quiet root of a chain). */
const calledServices = (t: Topology) => t.services.filter((s) => t.services.some((c) => c.calls.includes(s.name)));

describe("likelyOrigin on generated incidents", () => {
  it("covers the callee services of both topologies", () => {
    expect(calledServices(SHOP).map((s) => s.name)).toEqual([
      "auth",
      "checkout",
      "inventory",
      "inventory-db",
      "payments",
      "ledger",
    ]);
    expect(calledServices(MEDIA).map((s) => s.name)).toEqual([
      "catalog",
      "search",
      "playback",
      "drm",
      "keystore",
      "cdn-router",
    ]);
  });

  for (const topology of [SHOP, MEDIA]) {
    const known = [...topology.services.map((s) => s.name), "notifications"];
    for (const svc of calledServices(topology)) {
      describe(`${topology.name}: incident in ${svc.name}`, () => {
        it.each(KINDS)("%s → origin is the incident's service", (kind) => {
          const generated = generateScenario({
            topology,
            start: START,
            end: END,
            rps: 2,
            seed: 11,
            incidents: [{ service: svc.name, kind, ...INCIDENT }],
          });
          expect(generated.failed).toBeGreaterThan(0);
          const lines = problemLines(generated.records, known);
          // The steady distractor is in the input, and loud.
          expect(lines.some((l) => l.service === "notifications")).toBe(true);
          const origin = likelyOrigin(lines, { start: START, end: END });
          expect(origin?.service).toBe(svc.name);
          expect(origin!.alternatives.map((a) => a.service)).not.toContain("notifications");
        });
      });
    }
  }

  it("finds the root from the mention graph alone when no line has a trace id", () => {
    const generated = generateScenario({
      topology: SHOP,
      start: START,
      end: END,
      rps: 2,
      seed: 5,
      incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", ...INCIDENT }],
    });
    const known = [...SHOP.services.map((s) => s.name), "notifications"];
    const lines = problemLines(generated.records, known).map((l) => ({ ...l, traceId: undefined }));
    expect(likelyOrigin(lines, { start: START, end: END })?.service).toBe("inventory-db");
  });

  it("picks the incident service with a different seed and a partial fail rate", () => {
    for (const seed of [1, 2, 3]) {
      const generated = generateScenario({
        topology: MEDIA,
        start: START,
        end: END,
        rps: 2,
        seed,
        incidents: [{ service: "keystore", kind: "tls_expired", failRate: 0.3, ...INCIDENT }],
      });
      const known = [...MEDIA.services.map((s) => s.name), "notifications"];
      expect(likelyOrigin(problemLines(generated.records, known), { start: START, end: END })?.service).toBe(
        "keystore",
      );
    }
  });
});
