import { render } from "./formats.ts";
import type { GeneratedRecord } from "./generator.ts";
import { Random } from "./random.ts";

/**
 * One wide, long request for the correlation benchmark: `services` services in a call tree (service i is called
 * by service ⌊(i−1)/2⌋), each logging `steps` lines of its own work for the request before calling its children,
 * then a completion line with its duration. The service called last (the rightmost leaf) fails quietly (a late warn); every caller on
 * its way to the entry fails loudly. All lines carry the same trace id.
 */
export interface WideRequest {
  records: GeneratedRecord[];
  id: string;
  services: string[];
  origin: string;
  entry: string;
}

export function wideRequest(o: { start: number; services: number; steps: number; seed?: number }): WideRequest {
  const r = new Random(o.seed ?? 99);
  const id = r.hex(32);
  const names = Array.from({ length: o.services }, (_, i) => `svc-${String(i).padStart(2, "0")}`);
  const children = (i: number) => [2 * i + 1, 2 * i + 2].filter((c) => c < names.length);
  // The service called last (the rightmost leaf): every other service has handled the request when it fails.
  let last = 0;
  while (children(last).length > 0) last = children(last).at(-1)!;
  const origin = names[last]!;
  const records: GeneratedRecord[] = [];
  let seq = 0n;
  const emit = (service: string, ts: number, level: "debug" | "info" | "warn" | "error", msg: string, fields = {}) => {
    const tsNs = BigInt(Math.round(ts * 1000)) * 1_000n + (seq++ % 1_000n);
    const line = render("json", { ts, level, msg, fields: { trace_id: id, ...fields } });
    records.push({ labels: { service_name: service, env: "bench" }, tsNs, line });
  };

  /** Handles the request at service i from time t (ms); returns when it ended and whether it failed. */
  const handle = (i: number, t: number, caller?: string): { end: number; failed: boolean } => {
    const name = names[i]!;
    const base = { span_id: r.hex(16), ...(caller ? { caller } : {}) };
    emit(name, t, "info", `handling request for ${caller ?? "client"}`, base);
    let now = t;
    for (let k = 0; k < o.steps; k++) {
      now += 0.05;
      emit(name, now, "debug", `step ${k} of batch done`, { ...base, item: k, rows: r.int(1, 500) });
    }
    if (name === origin) {
      emit(name, now + 3000, "warn", `connection pool exhausted: waited ${r.int(2000, 5000)}ms for a connection`, base);
      return { end: now + 3000, failed: true };
    }
    for (const c of children(i)) {
      const out = handle(c, now + 1, name);
      now = out.end + 1;
      if (out.failed) {
        emit(name, now, "error", `call to ${names[c]} failed: timeout after 3000ms`, { ...base, upstream: names[c] });
        return { end: now + 1, failed: true };
      }
    }
    const duration = now - t + r.latency(3);
    emit(name, t + duration, "info", "request completed", { ...base, duration_ms: Math.round(duration) });
    return { end: t + duration, failed: false };
  };
  const out = handle(0, o.start);
  if (out.failed) emit(names[0]!, out.end + 1, "error", "request failed with status 502", { status: 502 });
  return { records, id, services: names, origin, entry: names[0]! };
}
