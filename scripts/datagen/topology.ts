import type { LineFormat } from "./formats.ts";

/** How a simulated service labels its streams in Loki (deployments differ). */
export type LabelScheme = "service_name" | "app" | "job";

export interface ServiceSpec {
  name: string;
  format: LineFormat;
  scheme: LabelScheme;
  /** Services this one calls for every request it handles. */
  calls: string[];
  /** Median own latency in ms. */
  latencyMs: number;
  /** Operation names this service logs. */
  operation: string;
}

export interface Topology {
  name: string;
  entry: string;
  services: ServiceSpec[];
}

/** Stream labels of a service under its scheme, e.g. `job="shop/inventory"`. */
export function streamLabels(s: ServiceSpec, env: string, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = { env, ...extra };
  switch (s.scheme) {
    case "service_name":
      return { ...base, service_name: s.name };
    case "app":
      return { ...base, app: s.name, namespace: "shop" };
    case "job":
      return { ...base, job: `shop/${s.name}` };
  }
}

/** The demo shop: gateway → checkout → {inventory → inventory-db, payments}, gateway → auth. */
export const SHOP: Topology = {
  name: "shop",
  entry: "gateway",
  services: [
    {
      name: "gateway",
      format: "json",
      scheme: "service_name",
      calls: ["auth", "checkout"],
      latencyMs: 4,
      operation: "POST /api/checkout",
    },
    { name: "auth", format: "logfmt", scheme: "job", calls: [], latencyMs: 3, operation: "verify_token" },
    {
      name: "checkout",
      format: "logfmt",
      scheme: "service_name",
      calls: ["inventory", "payments"],
      latencyMs: 12,
      operation: "place_order",
    },
    {
      name: "inventory",
      format: "text",
      scheme: "app",
      calls: ["inventory-db"],
      latencyMs: 8,
      operation: "reserve_items",
    },
    { name: "inventory-db", format: "text", scheme: "job", calls: [], latencyMs: 5, operation: "SELECT stock" },
    { name: "payments", format: "json", scheme: "app", calls: ["ledger"], latencyMs: 25, operation: "charge_card" },
    { name: "ledger", format: "logfmt", scheme: "app", calls: [], latencyMs: 6, operation: "append_entry" },
  ],
};

/** A second, differently shaped topology for tests: a media pipeline with a deep chain. */
export const MEDIA: Topology = {
  name: "media",
  entry: "edge",
  services: [
    {
      name: "edge",
      format: "text",
      scheme: "job",
      calls: ["catalog", "playback"],
      latencyMs: 3,
      operation: "GET /watch",
    },
    {
      name: "catalog",
      format: "json",
      scheme: "service_name",
      calls: ["search"],
      latencyMs: 10,
      operation: "lookup_title",
    },
    { name: "search", format: "logfmt", scheme: "app", calls: [], latencyMs: 15, operation: "query_index" },
    {
      name: "playback",
      format: "json",
      scheme: "app",
      calls: ["drm", "cdn-router"],
      latencyMs: 9,
      operation: "start_session",
    },
    {
      name: "drm",
      format: "logfmt",
      scheme: "service_name",
      calls: ["keystore"],
      latencyMs: 7,
      operation: "issue_license",
    },
    { name: "keystore", format: "text", scheme: "service_name", calls: [], latencyMs: 4, operation: "fetch_key" },
    { name: "cdn-router", format: "json", scheme: "job", calls: [], latencyMs: 5, operation: "pick_edge" },
  ],
};
