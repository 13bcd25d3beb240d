import { describe, expect, it } from "vitest";
import { type GeneratedRecord, generateScenario, type IncidentKind } from "../../scripts/datagen/generator.ts";
import { MEDIA, SHOP, type Topology } from "../../scripts/datagen/topology.ts";
import { correlateRequest, correlateWindow } from "../../src/correlate/graph/index.ts";
import type { CorrelatedLine } from "../../src/correlate/types.ts";
import { parseLine } from "../../src/query/lines.ts";

const KINDS: IncidentKind[] = ["db_pool_exhausted", "slow_queries", "oom_crash", "disk_full", "tls_expired"];
const START = Date.UTC(2026, 10, 24, 12, 0, 0);
const END = START + 4 * 60_000;
const INCIDENT = { start: START + 60_000, end: START + 3 * 60_000 };

const serviceOfLabels = (labels: Record<string, string>) =>
  (labels.service_name ?? labels.app ?? labels.job ?? "unknown").replace(/^shop\//, "");

/** Generated records as collection hands them to the core (fields merged with structured metadata). */
function correlated(records: GeneratedRecord[]): CorrelatedLine[] {
  return records.map((r) => {
    const parsed = parseLine({ line: r.line, labels: r.labels, metadata: r.metadata ?? {} });
    return {
      ts: r.tsNs,
      service: serviceOfLabels(r.labels),
      level: parsed.level,
      message: parsed.message,
      line: r.line,
      fields: { ...(r.metadata ?? {}), ...parsed.fields },
      id: parsed.traceId,
    };
  });
}

const calledServices = (t: Topology) => t.services.filter((s) => t.services.some((c) => c.calls.includes(s.name)));

describe("graph core on generated incidents", () => {
  for (const topology of [SHOP, MEDIA]) {
    const known = [...topology.services.map((s) => s.name), "notifications"];
    for (const svc of calledServices(topology)) {
      it.each(KINDS)(`${topology.name}: %s in ${svc.name} → the origin, per request and for the window`, (kind) => {
        const generated = generateScenario({
          topology,
          start: START,
          end: END,
          rps: 2,
          seed: 7,
          incidents: [{ service: svc.name, kind, ...INCIDENT }],
        });
        const lines = correlated(generated.records);
        const window = correlateWindow(lines, { knownServices: known });
        expect(window.origin?.service).toBe(svc.name);
        expect(window.origin?.chain.at(-1)).toBe(topology.entry);
        // Every failing request's own graph names the incident's service too.
        const byId = Map.groupBy(
          lines.filter((l) => l.id),
          (l) => l.id!,
        );
        let failing = 0;
        for (const [id, group] of byId) {
          if (!group.some((l) => l.level === "error")) continue;
          failing++;
          const c = correlateRequest(group, { knownServices: known, id });
          expect(c.origin?.service, id).toBe(svc.name);
          expect(c.origin?.chain[0]).toBe(svc.name);
          expect(c.origin?.chain.at(-1)).toBe(topology.entry);
        }
        expect(failing).toBeGreaterThan(0);
      });
    }
  }
});
