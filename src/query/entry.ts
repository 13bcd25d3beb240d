import type { LokiStream } from "../loki/schemas.ts";
import type { Nanos } from "../loki/time.ts";

/** One log line as Loki returned it, flattened out of its stream. */
export interface LogEntry {
  ts: Nanos;
  line: string;
  /** Stream labels (indexed). */
  labels: Record<string, string>;
  /** Structured metadata attached at push time. */
  metadata: Record<string, string>;
  /** Labels a parser stage in the query added. */
  parsed: Record<string, string>;
}

export function entriesOf(streams: LokiStream[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const s of streams) {
    for (const v of s.values) {
      out.push({
        ts: BigInt(v[0]),
        line: v[1],
        labels: s.stream,
        metadata: v[2]?.structuredMetadata ?? {},
        parsed: v[2]?.parsed ?? {},
      });
    }
  }
  return out;
}

/** Newest first, ties broken by line so the order is total and stable. */
export function compareDesc(a: LogEntry, b: LogEntry): number {
  if (a.ts !== b.ts) return a.ts > b.ts ? -1 : 1;
  return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
}

/** A key identifying one entry (stream + time + line), for de-duplication across pages. */
export const entryKey = (e: LogEntry): string => `${e.ts}\u0000${streamKey(e.labels)}\u0000${e.line}`;

export function streamKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
}
