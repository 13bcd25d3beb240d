import { LRUCache } from "lru-cache";
import { eq, type Matcher, re } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { type Nanos, NS_PER_S } from "../loki/time.ts";

/**
 * Which label names a service, across label schemes: Loki's own
 * `service_name`, `service`, `app`, `job` (`namespace/name`), `container`…
 * The chosen label is the configured one, else the first candidate the
 * tenant's streams carry.
 */
export const SERVICE_LABEL_CANDIDATES = [
  "service_name",
  "service",
  "app",
  "application",
  "app_kubernetes_io_name",
  "job",
  "container",
  "component",
] as const;

export interface ServiceInfo {
  /** Short name: `job="shop/auth"` → `auth`. */
  name: string;
  /** The label and its exact values that select this service's streams. */
  label: string;
  values: string[];
  bytes: number;
}

export interface ServiceCatalog {
  label: string;
  /** Label names the tenant's streams carry (its label scheme). */
  labelNames: string[];
  services: ServiceInfo[];
}

/** `shop/auth` → `auth`; other values unchanged. */
export const shortServiceName = (value: string): string => value.slice(value.lastIndexOf("/") + 1) || value;

export function chooseServiceLabel(labelNames: string[], configured?: string): string | undefined {
  if (configured) return configured;
  return SERVICE_LABEL_CANDIDATES.find((c) => labelNames.includes(c));
}

/** Services with their volume over the range, one catalog per tenant cached for a minute. */
export class ServiceDiscovery {
  private readonly cache = new LRUCache<string, ServiceCatalog>({ max: 1_000, ttl: 60_000 });

  constructor(private readonly configuredLabel?: string) {}

  async catalog(loki: LokiClient, range: { start: Nanos; end: Nanos }, signal?: AbortSignal): Promise<ServiceCatalog> {
    // Align to the minute so repeated calls share the catalog.
    const minute = 60n * NS_PER_S;
    const key = `${loki.tenant ?? ""}|${range.start / minute}|${range.end / minute}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const call = { signal };
    const volumeBy = (label: string) =>
      loki.indexVolume(
        { query: `{${label}=~".+"}`, start: range.start, end: range.end, targetLabels: [label], limit: 1000 },
        call,
      );
    // The label names and the volume by the likeliest service label at once: one round trip when it is the one.
    const likely = this.configuredLabel ?? SERVICE_LABEL_CANDIDATES[0]!;
    const early = volumeBy(likely);
    early.catch(() => {}); // awaited below when used; a failed guess costs nothing
    const labelNames = await loki.labels({ start: range.start, end: range.end }, call);
    const label = chooseServiceLabel(labelNames, this.configuredLabel);
    if (!label) {
      const empty: ServiceCatalog = { label: this.configuredLabel ?? "service_name", labelNames, services: [] };
      this.cache.set(key, empty);
      return empty;
    }
    const volume = await (label === likely ? early : volumeBy(label));
    const byName = new Map<string, ServiceInfo>();
    for (const v of volume) {
      const value = v.metric[label];
      if (value === undefined) continue;
      const name = shortServiceName(value);
      const info = byName.get(name) ?? { name, label, values: [], bytes: 0 };
      info.values.push(value);
      info.bytes += Number(v.value[1]);
      byName.set(name, info);
    }
    const catalog: ServiceCatalog = {
      label,
      labelNames,
      services: [...byName.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name)),
    };
    this.cache.set(key, catalog);
    return catalog;
  }
}

/**
 * The catalog's byte volume for selectors it covers exactly: every service (`{label=~".+"}`, what a mode
 * reads without a service), the range being the catalog's. Undefined for any other selector.
 */
export function catalogBytes(catalog: ServiceCatalog, selectors: string[]): number | undefined {
  if (selectors.length !== 1 || selectors[0] !== `{${catalog.label}=~".+"}`) return undefined;
  return catalog.services.reduce((sum, s) => sum + s.bytes, 0);
}

/**
 * Stream matcher for the services a caller named: exact label values when the
 * catalog knows them (both `auth` and `shop/auth` work), else the name as given.
 * Returns the matcher and the names no stream carries.
 */
export function serviceMatcher(catalog: ServiceCatalog, names: string[]): { matcher: Matcher; unknown: string[] } {
  const values = new Set<string>();
  const unknown: string[] = [];
  for (const name of names) {
    const known = catalog.services.find((s) => s.name === name || s.values.includes(name));
    if (known) {
      const exact = known.values.includes(name) ? [name] : known.values;
      for (const v of exact) values.add(v);
    } else {
      unknown.push(name);
      values.add(name);
    }
  }
  const list = [...values];
  if (list.length === 1) return { matcher: eq(catalog.label, list[0]!), unknown };
  return { matcher: re(catalog.label, list.map(escapeRegex).join("|")), unknown };
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The matcher for the services a caller named, and a hint listing the services that exist when some are unknown. */
export function resolveServices(catalog: ServiceCatalog, names: string[] | undefined) {
  if (!names?.length) return { matcher: undefined, hints: [] as string[] };
  const { matcher, unknown } = serviceMatcher(catalog, names);
  const existing =
    catalog.services
      .map((s) => s.name)
      .slice(0, 30)
      .join(", ") || "(none)";
  const hints = unknown.length
    ? [`No stream has ${catalog.label} = ${unknown.join(", ")} in this range. Services that exist: ${existing}.`]
    : [];
  return { matcher, hints };
}
