// The stream bench's report: what stream.bench.ts measured, as measurements against the direct tail and tables.

import type { DirectTail, Received, Subscriber } from "./stream-clients.ts";
import { quantile } from "./stream-env.ts";
import type { BenchReport } from "./types.ts";

export const MB = 1024 * 1024;
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");

/** The run's shape, for the labels. */
export interface RunShape {
  name: string;
  total: number;
  rate: number;
  perPush: number;
  settleMs: number;
}

export type Mem = { rss: number; hwm: number; gc?: { rss: number; heapUsed: number } };

export interface Outcome {
  shape: RunShape;
  subs: Subscriber[];
  direct: DirectTail;
  tails: Array<{ phase: string; active: number; whose: string }>;
  apiTails: number;
  mem: { idle: Mem; one: Mem; all: Mem; run: Mem };
  cpu: { api: number; loki: number; bench: number };
  seconds: number;
  pushSeconds: number;
}

function lagStats(lags: number[]) {
  const sorted = Float64Array.from(lags).sort();
  return {
    lines: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export function report(o: Outcome): BenchReport {
  const n = o.subs.length;
  const { name, total: TOTAL, rate: RATE, perPush: PER_PUSH, settleMs: SETTLE_MS } = o.shape;
  const all = lagStats(o.subs.flatMap((s) => s.got.lags));
  const k = Math.min(100, Math.floor(n / 4)); // the first and last k subscribers in the hub's fan-out order
  const firstSubs = lagStats(o.subs.slice(0, k).flatMap((s) => s.got.lags));
  const lastSubs = lagStats(o.subs.slice(-k).flatMap((s) => s.got.lags));
  const direct = lagStats(o.direct.got.lags);
  const tally = (rs: Received[]) =>
    rs
      .map((r) => r.tally())
      .reduce((a, t) => ({ once: a.once + t.once, missing: a.missing + t.missing, repeated: a.repeated + t.repeated }));
  const subTally = tally(o.subs.map((s) => s.got));
  const dirTally = o.direct.got.tally();
  const completeSubs = o.subs.filter((s) => s.got.tally().once === TOTAL).length;
  const others = new Map<string, number>();
  for (const s of o.subs) for (const [k, v] of s.others) others.set(k, (others.get(k) ?? 0) + v);
  const { idle, one, all: withAll, run } = o.mem;
  const perSub = (a: number, b: number, count: number) => (a - b) / count / 1024;
  const gcHeap = (m: Mem) => m.gc?.heapUsed ?? Number.NaN;
  const gcRss = (m: Mem) => m.gc?.rss ?? Number.NaN;
  const lagRow = (label: string, s: ReturnType<typeof lagStats>) => [
    label,
    String(s.lines),
    fmt(s.p50),
    fmt(s.p90),
    fmt(s.p99),
    fmt(s.max),
  ];
  const pct = (cpuS: number) => `${fmt(cpuS)} s (${fmt((100 * cpuS) / o.seconds, 0)}% of one CPU)`;
  return {
    name,
    description: `${n} subscribers of one service on WS /stream (one shared Loki tail) vs one client tailing Loki directly, ${TOTAL} lines pushed at ${RATE}/s (${PER_PUSH} per push); lag = receive time − send time carried in the line`,
    oursLabel: `${n} stream subscribers`,
    anchorLabel: "direct Loki tail",
    measurements: [
      {
        label: "delivery lag p99 (ms)",
        unit: "ms",
        ours: all.p99,
        anchor: direct.p99,
        ratio: all.p99 / direct.p99,
        target: 1.5,
        better: "lower",
        digits: 1,
      },
      {
        label: "delivery lag p50 (ms)",
        unit: "ms",
        ours: all.p50,
        anchor: direct.p50,
        ratio: all.p50 / direct.p50,
        target: null,
        better: "lower",
        digits: 1,
      },
      {
        label: "upstream Loki tails (loki_querier_tail_active, most seen while subscribed)",
        unit: "tails",
        ours: o.apiTails,
        anchor: 1,
        ratio: o.apiTails,
        target: 1,
        better: "lower",
        digits: 0,
      },
      {
        label: "share of lines received exactly once",
        unit: "share",
        ours: subTally.once / (n * TOTAL),
        anchor: dirTally.once / TOTAL,
        ratio: subTally.once / n / Math.max(1, dirTally.once),
        target: null,
        digits: 4,
      },
    ],
    tables: [
      {
        title: "delivery lag (ms), every line each client received",
        columns: ["clients", "lines", "p50", "p90", "p99", "max"],
        rows: [
          lagRow(`all ${n} subscribers`, all),
          lagRow(`subscribers 1–${k} (first in fan-out)`, firstSubs),
          lagRow(`subscribers ${n - k + 1}–${n} (last)`, lastSubs),
          lagRow("direct Loki tail", direct),
        ],
      },
      {
        title: `lines received (${TOTAL} pushed)`,
        columns: ["who", "expected", "exactly once", "missing", "more than once"],
        rows: [
          [
            `${n} subscribers (${completeSubs} got every line once)`,
            String(n * TOTAL),
            String(subTally.once),
            String(subTally.missing),
            String(subTally.repeated),
          ],
          [
            `direct Loki tail (dropped_entries: ${o.direct.dropped})`,
            String(TOTAL),
            String(dirTally.once),
            String(dirTally.missing),
            String(dirTally.repeated),
          ],
        ],
      },
      {
        title: "Loki's open tails (loki_querier_tail_active)",
        columns: ["phase", "open tails", "expected"],
        rows: o.tails.map((t) => [t.phase, String(t.active), t.whose]),
      },
      {
        title: "API child memory (VmRSS from /proc; heap = heapUsed after a full GC through the inspector)",
        columns: ["state", "VmRSS MB", "RSS after GC MB", "heap after GC MB"],
        rows: [
          ["idle, no subscriber", fmt(idle.rss / MB), fmt(gcRss(idle) / MB), fmt(gcHeap(idle) / MB)],
          ["1 subscriber, tail open, warmed up", fmt(one.rss / MB), fmt(gcRss(one) / MB), fmt(gcHeap(one) / MB)],
          [
            `${n} subscribers, idle ${SETTLE_MS / 1000} s`,
            fmt(withAll.rss / MB),
            fmt(gcRss(withAll) / MB),
            fmt(gcHeap(withAll) / MB),
          ],
          [`after the run (peak VmHWM ${fmt(run.hwm / MB)})`, fmt(run.rss / MB), "—", "—"],
          [
            `per subscriber, KB: (${n} − 1) / ${n - 1}`,
            fmt(perSub(withAll.rss, one.rss, n - 1)),
            fmt(perSub(gcRss(withAll), gcRss(one), n - 1)),
            fmt(perSub(gcHeap(withAll), gcHeap(one), n - 1)),
          ],
          [
            `per subscriber, KB: (${n} − idle) / ${n}`,
            fmt(perSub(withAll.rss, idle.rss, n)),
            fmt(perSub(gcRss(withAll), gcRss(idle), n)),
            fmt(perSub(gcHeap(withAll), gcHeap(idle), n)),
          ],
        ],
      },
      {
        title: `CPU used from the first push to full delivery (${fmt(o.seconds)} s; pushing took ${fmt(o.pushSeconds)} s)`,
        columns: ["process", "CPU"],
        rows: [
          ["API child", pct(o.cpu.api)],
          ["Loki", pct(o.cpu.loki)],
          [`bench (${n} + 1 clients, pusher)`, pct(o.cpu.bench)],
        ],
      },
    ],
    notes: [
      `machine: the ${n} subscriber sockets, the direct tail and the pusher all run in this bench process, on the same CPUs as the API and Loki; the subscribers' lag includes this process reading ${n} sockets one after another (its CPU is in the table above), the direct client's does not`,
      "lag: receive time in this process − the wall-clock time written into the line just before its push; both sides read the same pushes (spaced at random around the mean rate), Loki's tail delay_for is 0 for both",
      "Loki's querier polls a tail's ingester stream every 500 ms when it found nothing new (tailerWaitEntryThrottle), so both sides' lags spread over about 0–500 ms; the API's own share is the difference between the two rows",
      `memory: the API is a child process (node --import tsx src/index.ts, as npm start); per subscriber = the VmRSS difference between ${n} and 1 subscriber(s) (tail, hub and code paths already warm) / ${n - 1}, and against the idle server / ${n}; RSS includes garbage not yet collected`,
      `other messages the subscribers got: ${[...others].map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
    ],
    data: {
      all,
      firstSubs,
      lastSubs,
      direct,
      subTally,
      dirTally,
      completeSubs,
      tails: o.tails,
      mem: o.mem,
      cpu: o.cpu,
      seconds: o.seconds,
      others: Object.fromEntries(others),
    },
  };
}
