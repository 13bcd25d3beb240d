import type { LokiClient } from "../../src/loki/client.ts";
import { type Generated, generateScenario, toPushBatches } from "./generator.ts";
import { MEDIA, SHOP } from "./topology.ts";

/** Pushes generated records into Loki in batches; returns the number of lines written. */
export async function seedLoki(loki: LokiClient, generated: Generated | Generated[]): Promise<number> {
  const all = Array.isArray(generated) ? generated.flatMap((g) => g.records) : generated.records;
  for (const batch of toPushBatches(all)) await loki.push(batch, { timeoutMs: 60_000 });
  return all.length;
}

/**
 * The demo's data: the last hour of a shop (root cause: inventory-db's
 * connection pool, 25–15 minutes ago) and a media platform (root cause:
 * keystore's expired certificate, 12–6 minutes ago), with a steady harmless
 * error in notifications all along. `scale` multiplies the request rates (1: about 97,000 lines).
 */
export function demoScenarios(now = Date.now(), scale = 1): Generated[] {
  const min = 60_000;
  return [
    generateScenario({
      topology: SHOP,
      start: now - 60 * min,
      end: now,
      rps: 2 * scale,
      seed: 7,
      incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: now - 25 * min, end: now - 15 * min }],
    }),
    generateScenario({
      topology: MEDIA,
      start: now - 60 * min,
      end: now,
      rps: 1 * scale,
      seed: 11,
      distractor: false,
      incidents: [{ service: "keystore", kind: "tls_expired", start: now - 12 * min, end: now - 6 * min }],
    }),
  ];
}
