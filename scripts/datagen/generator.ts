import type { PushStream } from "../../src/loki/client.ts";
import { type LogEvent, render } from "./formats.ts";
import { Random } from "./random.ts";
import { type ServiceSpec, streamLabels, type Topology } from "./topology.ts";

/**
 * Realistic multi-service logs with trace ids: a background of normal traffic,
 * a steady harmless error in an uninvolved service, and incidents whose root
 * cause sits downstream. As in real incidents the root cause is quiet (warn
 * level, fewer lines, logged late) while its callers fail loudly.
 */
export type IncidentKind = "db_pool_exhausted" | "slow_queries" | "oom_crash" | "disk_full" | "tls_expired";

export interface Incident {
  service: string;
  kind: IncidentKind;
  start: number; // ms
  end: number; // ms
  /** Share of requests through the service that fail during the incident (default 0.7). */
  failRate?: number;
}

export interface ScenarioOptions {
  topology: Topology;
  start: number; // ms
  end: number; // ms
  /** Requests per second at the entry service. */
  rps: number;
  seed?: number;
  env?: string;
  incidents?: Incident[];
  /** The steady harmless error of a `notifications` service (default true). */
  distractor?: boolean;
  /** Extra stream labels on every stream (e.g. a test run id). */
  extraLabels?: Record<string, string>;
}

export interface GeneratedRecord {
  labels: Record<string, string>;
  tsNs: bigint;
  line: string;
  metadata?: Record<string, string>;
}

export interface Generated {
  records: GeneratedRecord[];
  /** Requests simulated and how many failed. */
  requests: number;
  failed: number;
  incidents: Incident[];
}

interface Symptom {
  root: { level: LogEvent["level"]; msg: (r: Random) => string; delayMs: number };
  caller: string;
}

const SYMPTOMS: Record<IncidentKind, Symptom> = {
  db_pool_exhausted: {
    root: {
      level: "warn",
      msg: (r) => `connection pool exhausted: waited ${r.int(2000, 5000)}ms for a connection (active=20 max=20)`,
      delayMs: 40,
    },
    caller: "timeout after 3000ms",
  },
  slow_queries: {
    root: { level: "warn", msg: (r) => `slow query took ${r.int(2500, 9000)}ms on table stock`, delayMs: 25 },
    caller: "deadline exceeded after 2500ms",
  },
  oom_crash: {
    root: { level: "error", msg: () => "out of memory: heap limit reached, process will restart", delayMs: 5 },
    caller: "connection refused",
  },
  disk_full: {
    root: { level: "error", msg: () => "write failed: no space left on device", delayMs: 10 },
    caller: "503 service unavailable",
  },
  tls_expired: {
    root: { level: "warn", msg: () => "TLS handshake failed: certificate has expired", delayMs: 15 },
    caller: "x509: certificate has expired or is not yet valid",
  },
};

interface Outcome {
  ok: boolean;
  /** Which service failed first (the root of this failure chain). */
  origin?: string;
}

export function generateScenario(options: ScenarioOptions): Generated {
  const r = new Random(options.seed ?? 42);
  const env = options.env ?? "prod";
  const services = new Map(options.topology.services.map((s) => [s.name, s]));
  const incidents = options.incidents ?? [];
  const records: GeneratedRecord[] = [];
  let seq = 0n;
  const emit = (s: ServiceSpec, e: LogEvent, traceId?: string) => {
    const meta = traceId && s.scheme === "app" ? { trace_id: traceId } : undefined;
    const tsNs = BigInt(Math.round(e.ts)) * 1_000_000n + (seq++ % 1_000_000n);
    records.push({
      labels: streamLabels(s, env, options.extraLabels),
      tsNs,
      line: render(s.format, e),
      ...(meta ? { metadata: meta } : {}),
    });
  };
  const activeIncident = (service: string, t: number) =>
    incidents.find((i) => i.service === service && t >= i.start && t < i.end);

  const handle = (name: string, t: number, traceId: string, caller?: string): Outcome & { end: number } => {
    const s = services.get(name);
    if (!s) throw new Error(`topology ${options.topology.name} has no service ${name}`);
    const spanId = r.hex(8);
    const base = { trace_id: traceId, span_id: spanId, ...(caller ? { caller } : {}) };
    if (r.chance(0.3)) emit(s, { ts: t, level: "debug", msg: `handling ${s.operation}`, fields: base }, traceId);
    const incident = activeIncident(name, t);
    if (incident && r.chance(incident.failRate ?? 0.7)) {
      const sym = SYMPTOMS[incident.kind];
      // The root cause logs quietly and late: after its caller has already failed.
      emit(s, { ts: t + sym.root.delayMs + 3000, level: sym.root.level, msg: sym.root.msg(r), fields: base }, traceId);
      return { ok: false, origin: name, end: t + 3000 };
    }
    let cursor = t + 1;
    for (const child of s.calls) {
      const out = handle(child, cursor, traceId, name);
      if (!out.ok) {
        const childSpec = services.get(child)!;
        const symptom = out.origin === child ? SYMPTOMS[activeIncident(child, cursor)!.kind].caller : "upstream error";
        emit(
          s,
          {
            ts: out.end + 1,
            level: "error",
            msg: `call to ${childSpec.name} failed: ${symptom}`,
            fields: { ...base, upstream: child, op: s.operation },
          },
          traceId,
        );
        return { ok: false, ...(out.origin ? { origin: out.origin } : {}), end: out.end + 2 };
      }
      cursor = out.end + 1;
    }
    const duration = r.latency(s.latencyMs) + (cursor - t);
    emit(
      s,
      {
        ts: t + duration,
        level: "info",
        msg: `${s.operation} completed`,
        fields: { ...base, duration_ms: duration, status: 200 },
      },
      traceId,
    );
    return { ok: true, end: t + duration };
  };

  let requests = 0;
  let failed = 0;
  const entry = services.get(options.topology.entry)!;
  const step = 1000 / options.rps;
  for (let t = options.start; t < options.end; t += step * (0.5 + r.next())) {
    requests++;
    const traceId = r.hex(32);
    const out = handle(entry.name, t, traceId);
    if (!out.ok) {
      failed++;
      emit(
        entry,
        {
          ts: out.end + 2,
          level: "error",
          msg: "request failed with status 502",
          fields: { trace_id: traceId, status: 502, path: entry.operation, duration_ms: Math.round(out.end + 2 - t) },
        },
        traceId,
      );
    }
  }

  if (options.distractor ?? true) {
    const notifications: ServiceSpec = {
      name: "notifications",
      format: "json",
      scheme: "service_name",
      calls: [],
      latencyMs: 5,
      operation: "send_email",
    };
    for (let t = options.start + 500; t < options.end; t += 10_000 + r.int(-1500, 1500)) {
      emit(notifications, {
        ts: t,
        level: "error",
        msg: "failed to render email template: missing locale fr-CA, falling back to en",
        fields: { template: "order_confirmation", attempt: 1 },
      });
      emit(notifications, {
        ts: t + 50,
        level: "info",
        msg: "email queued",
        fields: { template: "order_confirmation", queue_depth: r.int(0, 12) },
      });
    }
  }

  return { records, requests, failed, incidents };
}

/** Groups records into Loki push streams (sorted by time), in batches of at most `maxLines`. */
export function toPushBatches(records: GeneratedRecord[], maxLines = 5_000): PushStream[][] {
  const sorted = [...records].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  const batches: PushStream[][] = [];
  for (let i = 0; i < sorted.length; i += maxLines) {
    const byStream = new Map<string, PushStream>();
    for (const rec of sorted.slice(i, i + maxLines)) {
      const key = JSON.stringify(Object.entries(rec.labels).sort());
      let stream = byStream.get(key);
      if (!stream) {
        stream = { stream: rec.labels, values: [] };
        byStream.set(key, stream);
      }
      stream.values.push(rec.metadata ? [rec.tsNs, rec.line, rec.metadata] : [rec.tsNs, rec.line]);
    }
    batches.push([...byStream.values()]);
  }
  return batches;
}
