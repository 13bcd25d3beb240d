import { shortServiceName } from "../../src/query/discovery.ts";
import type { Generated, GeneratedRecord } from "./generator.ts";

/**
 * Variations on generated data for correlation (issue 13), leaving `generateScenario` as it is: each service may
 * write the request's id under its own name (`traceId`, `correlation_id`, `x-request-id`, a W3C `traceparent`,
 * or only in structured metadata), and a service may be a silent origin (it logs nothing for the requests that
 * failed, known only from its callers).
 */
export type IdStyle =
  | "trace_id"
  | "traceId"
  | "correlation_id"
  | "request_id"
  | "x-request-id"
  | "traceparent"
  /** The id only in structured metadata (`trace_id`), not in the line. */
  | "metadata";

export interface IdVariation {
  /** How each service writes the id (default: `trace_id`, as generated). */
  styles?: Record<string, IdStyle>;
  /** Services that log nothing for the requests that failed. */
  silent?: string[];
  /** The entry service (its "request failed" lines name the failed requests). */
  entry: string;
}

const SERVICE_LABELS = ["service_name", "app", "job"];
const serviceOfRecord = (r: GeneratedRecord): string => {
  for (const l of SERVICE_LABELS) if (r.labels[l]) return shortServiceName(r.labels[l]!);
  return "unknown";
};

const ANY_STYLE =
  /(?:trace_id|traceId|correlation_id|request_id|x-request-id|traceparent)"?[:=]"?(?:00-)?([0-9a-f]{32})/;

/** The 32-hex trace id a generated record carries, in any style (in its line or its metadata). */
export const generatedTraceId = (line: string, metadata?: Record<string, string>): string | undefined =>
  metadata?.["trace_id"] ?? ANY_STYLE.exec(line)?.[1];

/** The ids of the requests that failed (the entry's "request failed" line), with when they failed. */
export function failedRequests(records: GeneratedRecord[], entry: string): Array<{ id: string; ms: number }> {
  const out: Array<{ id: string; ms: number }> = [];
  for (const r of records) {
    if (serviceOfRecord(r) !== entry || !r.line.includes("request failed with status")) continue;
    const id = generatedTraceId(r.line, r.metadata);
    if (id) out.push({ id, ms: Number(r.tsNs / 1_000_000n) });
  }
  return out;
}

export function withIdVariations(g: Generated, v: IdVariation): Generated {
  const failed = new Set(failedRequests(g.records, v.entry).map((f) => f.id));
  const silent = new Set(v.silent ?? []);
  const records: GeneratedRecord[] = [];
  for (const r of g.records) {
    const service = serviceOfRecord(r);
    const id = generatedTraceId(r.line);
    if (id && silent.has(service) && failed.has(id)) continue;
    const style = v.styles?.[service];
    records.push(id && style && style !== "trace_id" ? restyle(r, id, style) : r);
  }
  return { ...g, records };
}

/** The record with its `trace_id` written the service's way. */
function restyle(r: GeneratedRecord, id: string, style: IdStyle): GeneratedRecord {
  const { metadata: _dropped, ...rest } = r;
  const json = r.line.startsWith("{");
  const pair = json ? `"trace_id":"${id}"` : `trace_id=${id}`;
  if (style === "metadata") {
    const line = json ? r.line.replace(`${pair},`, "").replace(`,${pair}`, "") : r.line.replace(` ${pair}`, "");
    return { ...rest, line, metadata: { trace_id: id } };
  }
  const span = /span_id"?[:=]"?([0-9a-f]+)/.exec(r.line)?.[1] ?? "0";
  const value = style === "traceparent" ? `00-${id}-${span.padStart(16, "0").slice(-16)}-01` : id;
  return { ...rest, line: r.line.replace(pair, json ? `"${style}":"${value}"` : `${style}=${value}`) };
}
