// The export bench's data: realistic JSON lines of a few services pushed to Loki fast (large batches in
// parallel), and Loki's own count of them.
import type { LokiClient } from "../../src/loki/client.ts";
import { type Nanos, NS_PER_MS } from "../../src/loki/time.ts";
import { sleep } from "./stream-env.ts";

export const SERVICES = ["checkout", "payments", "inventory", "gateway", "auth"] as const;
const PUSH_BATCH = 12_000; // ≈ 2.6 MB: a push reaches the ingester in one gRPC message (4 MB at most)
const PUSH_PARALLEL = 4;

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

const PATHS = [
  "/api/v1/cart",
  "/api/v1/orders",
  "/api/v1/items",
  "/api/v1/users",
  "/healthz",
  "/api/v1/payments/charge",
];
const MESSAGES: Array<[level: string, weight: number, text: (r: Rng) => string]> = [
  [
    "info",
    60,
    (r) => `${r.pick(["GET", "POST", "PUT"])} ${r.pick(PATHS)}/${r.int(100_000)} ${r.pick([200, 200, 201, 204])}`,
  ],
  ["info", 15, (r) => `order ${r.int(1e7)} reserved ${1 + r.int(9)} items in warehouse wh-${r.int(40)}`],
  ["debug", 5, (r) => `cache ${r.pick(["hit", "miss"])} for key sku:${r.int(1e6)} after ${r.int(50)} ms`],
  [
    "warn",
    10,
    (r) => `slow query on table ${r.pick(["orders", "stock", "sessions"])}: ${200 + r.int(3000)} ms, retrying`,
  ],
  ["error", 7, (r) => `upstream ${r.pick(["payments", "inventory-db", "auth"])} returned 503 after ${r.int(5000)} ms`],
  ["error", 3, (r) => `connection reset by peer while writing response, user u-${r.int(1e5)}`],
];
const WEIGHT = MESSAGES.reduce((n, m) => n + m[1], 0);

function lineOf(r: Rng, service: string, tsMs: number, seq: number): string {
  let w = r.int(WEIGHT);
  let chosen = MESSAGES[0]!;
  for (const m of MESSAGES) {
    chosen = m;
    w -= m[1];
    if (w < 0) break;
  }
  const [level, , text] = chosen;
  const hex = () =>
    r
      .int(2 ** 32)
      .toString(16)
      .padStart(8, "0");
  const trace = hex() + hex() + hex() + hex();
  return `{"ts":"${new Date(tsMs).toISOString()}","level":"${level}","service":"${service}","msg":"${text(r)}","duration_ms":${r.int(2000)},"user_id":"u-${r.int(1e5)}","trace_id":"${trace}","seq":${seq}}`;
}

/**
 * One service's lines in time order over [startMs, startMs + spanMs): groups of 1–4 lines share a
 * nanosecond, and the services share the same grid of timestamps, so lines of several streams meet
 * at one nanosecond too (what makes paging at a boundary hard).
 */
export function* serviceLines(service: string, seed: number, count: number, startMs: number, spanMs: number) {
  const r = rng(seed);
  const stepNs = (spanMs * 1e6) / (count / 2.5);
  const start: Nanos = BigInt(startMs) * NS_PER_MS;
  let group = 0;
  for (let i = 0; i < count; group++) {
    const offsetNs = Math.floor(group * stepNs);
    const ts = start + BigInt(offsetNs);
    for (let k = 1 + r.int(4); k > 0 && i < count; k--, i++) {
      yield [ts, lineOf(r, service, startMs + offsetNs / 1e6, i)] as [Nanos, string];
    }
  }
}

/** Pushes `total` lines over the services in batches of PUSH_BATCH, PUSH_PARALLEL at a time. */
export async function pushLines(
  client: LokiClient,
  total: number,
  startMs: number,
  spanMs: number,
  log: (m: string) => void,
): Promise<{ pushed: number; bytes: number; ms: number; first: Nanos; last: Nanos }> {
  const per = Math.ceil(total / SERVICES.length);
  const sources = SERVICES.map((service, i) => ({
    service,
    lines: serviceLines(service, 1000 + i, Math.min(per, total - i * per), startMs, spanMs),
  }));
  let pushed = 0;
  let bytes = 0;
  // The groups' sizes are random: the last timestamps may pass startMs + spanMs by a few seconds.
  let first: Nanos | undefined;
  let last: Nanos | undefined;
  let turn = 0;
  const t0 = performance.now();
  let nextLog = 100_000;
  /** The next batch, services in turn (so the batches in flight are of different streams, each in time order). */
  const nextBatch = () => {
    for (let tries = 0; tries < sources.length; tries++) {
      const s = sources[turn++ % sources.length]!;
      const values: Array<[Nanos, string]> = [];
      // next() by hand: leaving a for-of early would close the generator.
      for (let r = s.lines.next(); !r.done; r = s.lines.next()) {
        values.push(r.value);
        bytes += r.value[1].length;
        const ts = r.value[0];
        if (first === undefined || ts < first) first = ts;
        if (last === undefined || ts > last) last = ts;
        if (values.length >= PUSH_BATCH) break;
      }
      if (values.length) return { stream: { service_name: s.service, env: "prod" }, values };
    }
    return undefined;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch; batch = nextBatch()) {
      await client.push([batch], { timeoutMs: 120_000 });
      pushed += batch.values.length;
      if (pushed >= nextLog) {
        nextLog += 100_000;
        const s = (performance.now() - t0) / 1000;
        log(
          `pushed ${pushed.toLocaleString("en-US")} lines (${Math.round(pushed / s).toLocaleString("en-US")} lines/s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: PUSH_PARALLEL }, worker));
  if (first === undefined || last === undefined) throw new Error("no lines to push");
  return { pushed, bytes, ms: performance.now() - t0, first, last };
}

/** Loki's count of the lines in the range (a count_over_time at its end), polled until it reaches `expected`. */
export async function waitForCount(
  lokiUrl: string,
  selector: string,
  start: Nanos,
  end: Nanos,
  expected: number,
  log: (m: string) => void,
): Promise<number> {
  const minutes = Math.ceil(Number((end - start) / NS_PER_MS) / 60_000);
  const query = `sum(count_over_time(${selector}[${minutes}m]))`;
  const deadline = Date.now() + 180_000;
  let count = 0;
  while (Date.now() < deadline) {
    const url = `${lokiUrl}/loki/api/v1/query?${new URLSearchParams({ query, time: String(end) })}`;
    const body = (await (await fetch(url)).json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    count = Number(body.data?.result?.[0]?.value[1] ?? 0);
    log(`Loki counts ${count.toLocaleString("en-US")} of ${expected.toLocaleString("en-US")} lines`);
    if (count >= expected) return count;
    await sleep(2_000);
  }
  throw new Error(`Loki holds only ${count} of the ${expected} lines pushed after 180 s`);
}
