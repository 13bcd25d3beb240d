import { calleeFieldMentions, messageMentions } from "../mentions.ts";
import type { CorrelatedLine, EdgeEvidence } from "../types.ts";

/**
 * What one line says about calls (pure): the services it names as callees (and how), the services it names as its
 * caller, its span and parent span, and a duration it reports. Everything here is linear in the line's length.
 */
export interface LineSignals {
  /** callee → the strongest evidence this line gives for the call. */
  callees: Map<string, EdgeEvidence>;
  /** Services named as this line's caller (`caller=gateway`). */
  callers: string[];
  spanId?: string | undefined;
  parentSpanId?: string | undefined;
  /** ms, from duration_ms / latency_ms / elapsed / took … */
  durationMs?: number | undefined;
}

/** Evidence kinds, strongest first (an edge lists its kinds in this order). */
export const EVIDENCE_ORDER: EdgeEvidence[] = ["field", "span", "url", "mention", "timing"];
export const evidenceRank = (e: EdgeEvidence) => EVIDENCE_ORDER.indexOf(e);

const SPAN_KEYS = ["span_id", "spanId", "spanID"];
const PARENT_KEYS = ["parent_span_id", "parentSpanId", "parentSpanID", "parent_id", "parentId"];
const TRACEPARENT_KEYS = ["traceparent", "trace_parent", "http.traceparent"];
const URL_KEYS = ["url", "http.url", "http_url", "url.full", "target_url", "upstream_url", "request_url", "uri"];
const CALLER_FIELDS = ["caller", "calling_service", "parent_service", "called_by", "invoked_by", "source_service"];
/** Duration fields with the factor to ms of a bare number. */
const DURATION_KEYS: Array<[string, number]> = [
  ["duration_ms", 1],
  ["latency_ms", 1],
  ["elapsed_ms", 1],
  ["took_ms", 1],
  ["response_time_ms", 1],
  ["durationMs", 1],
  ["latencyMs", 1],
  ["duration_s", 1000],
  ["duration_seconds", 1000],
  ["duration", 1],
  ["latency", 1],
  ["elapsed", 1],
  ["took", 1],
];
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-([0-9a-f]{16})-[0-9a-f]{2}$/i;
const URL_IN_TEXT = /\bhttps?:\/\/([A-Za-z0-9.-]{1,253})/g;
const DURATION_TEXT = /^\s*(\d+(?:\.\d+)?)\s*(ns|µs|us|ms|s|m)?\s*$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000, m: 60_000 };
/** Only the start of a long message is searched for URLs and names (bounded work per line). */
const SCAN_CHARS = 4096;

/** Known services by lower-cased name, for matching hosts and field values. */
export type ServiceIndex = { known: string[]; byLower: Map<string, string> };

export function serviceIndex(known: Iterable<string>): ServiceIndex {
  const list = [...new Set(known)];
  return { known: list, byLower: new Map(list.map((k) => [k.toLowerCase(), k])) };
}

export function lineSignals(l: CorrelatedLine, services: ServiceIndex): LineSignals {
  const { fields, service } = l;
  const callees = new Map<string, EdgeEvidence>();
  const note = (name: string, kind: EdgeEvidence) => {
    const had = callees.get(name);
    if (name !== service && (had === undefined || evidenceRank(kind) < evidenceRank(had))) callees.set(name, kind);
  };
  for (const name of calleeFieldMentions(service, fields, services.known)) note(name, "field");
  const message = l.message.length > SCAN_CHARS ? l.message.slice(0, SCAN_CHARS) : l.message;
  for (const host of urlHosts(fields, message)) {
    const name = serviceOfHost(host, services);
    if (name) note(name, "url");
  }
  for (const name of messageMentions(service, message, services.known)) note(name, "mention");
  const parent = stringField(fields, PARENT_KEYS) ?? traceparentParent(fields);
  return {
    callees,
    callers: callerFields(service, fields, services),
    spanId: stringField(fields, SPAN_KEYS),
    parentSpanId: parent,
    durationMs: durationOf(fields),
  };
}

function stringField(fields: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = fields[k];
    if (typeof v === "string" && v.length > 0 && v.length <= 128) return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

/** The parent-id of a W3C traceparent: the span that made the call this line belongs to. */
function traceparentParent(fields: Record<string, unknown>): string | undefined {
  const v = stringField(fields, TRACEPARENT_KEYS);
  return v ? TRACEPARENT.exec(v)?.[1]?.toLowerCase() : undefined;
}

function callerFields(self: string, fields: Record<string, unknown>, services: ServiceIndex): string[] {
  const out: string[] = [];
  for (const key of CALLER_FIELDS) {
    const v = fields[key];
    if (typeof v !== "string") continue;
    const name = services.byLower.get(v.slice(v.lastIndexOf("/") + 1).toLowerCase());
    if (name && name !== self && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Hosts of URLs in the URL fields and in the message. */
function urlHosts(fields: Record<string, unknown>, message: string): string[] {
  const out: string[] = [];
  for (const key of URL_KEYS) {
    const v = fields[key];
    if (typeof v !== "string") continue;
    const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#@\s]+)/i.exec(v)?.[1];
    if (host) out.push(host);
  }
  if (message.includes("://")) for (const m of message.matchAll(URL_IN_TEXT)) out.push(m[1]!);
  return out;
}

/** `payments`, `payments.shop.svc.cluster.local` → payments when payments is a known service. */
function serviceOfHost(host: string, services: ServiceIndex): string | undefined {
  const h = host.toLowerCase();
  const dot = h.indexOf(".");
  return services.byLower.get(h) ?? (dot > 0 ? services.byLower.get(h.slice(0, dot)) : undefined);
}

/** A duration the line reports, in ms: numbers are ms unless the key says seconds; strings may carry a unit. */
function durationOf(fields: Record<string, unknown>): number | undefined {
  for (const [key, factor] of DURATION_KEYS) {
    const v = fields[key];
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v * factor;
    if (typeof v !== "string") continue;
    const m = DURATION_TEXT.exec(v);
    if (!m) continue;
    const unit = m[2];
    return Number(m[1]) * (unit ? UNIT_MS[unit]! : factor);
  }
  return undefined;
}

/** ns (bigint) → ms (float, µs precision). */
export const toMs = (ts: bigint) => Number(ts / 1000n) / 1000;
