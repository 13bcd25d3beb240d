// POST /export as CSV (issue 12) of ≥ 1,000,000 lines against a plain paged query_range download of the
// same lines, measured in the same run: throughput (lines/s, target ≥ 0.8×), and the API's peak RSS
// (VmRSS sampled every 100 ms, the API as a child process) exporting 100,000 and all lines (target ≤ 200 MB
// each, and flat: the 1M peak minus the 100k peak). Every row is counted as it streams (= lines pushed).
// The anchor reads forward, 5,000 lines a call, exact at boundaries, its raw JSON to /dev/null; it runs
// right before and right after the full export and its rate is over both (the machine's load drifts).
// Knobs: EXPORT_BENCH_LINES (1000000), EXPORT_BENCH_CPU_PROF=<dir> (the API child writes a --cpu-prof
// profile there when it stops).
import os from "node:os";
import { LokiClient } from "../../src/loki/client.ts";
import { NS_PER_S } from "../../src/loki/time.ts";
import { startLoki } from "../lib/local-loki.ts";
import { pushLines, SERVICES, waitForCount } from "./export-data.ts";
import { csvExport, type Download, type ExportRun, findPid, plainDownload } from "./export-env.ts";
import { type ApiChild, startApiChild } from "./stream-env.ts";
import type { BenchReport } from "./types.ts";

export const name = "export";

const LINES = Math.max(200_000, Number(process.env["EXPORT_BENCH_LINES"]) || 1_000_000);
const SMALL = 100_000;
const SPAN_MS = 50 * 60_000;
const BUDGET_MB = 200;
const MB = 1024 * 1024;
const SELECTOR = '{service_name=~".+"}';

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const n = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const rate = (lines: number, ms: number) => (lines * 1000) / ms;

export async function run(log: (m: string) => void): Promise<BenchReport> {
  const loadStart = load();
  log("starting Loki…");
  const loki = await startLoki();
  const client = new LokiClient({ url: loki.url, timeoutMs: 120_000 });
  let api: ApiChild | undefined;
  try {
    const endMs = Date.now() - 60_000;
    const startMs = endMs - SPAN_MS;
    log(`pushing ${n(LINES)} lines of ${SERVICES.length} services over the last ${SPAN_MS / 60_000} minutes…`);
    const push = await pushLines(client, LINES, startMs, SPAN_MS, log);
    log(`pushed ${n(push.pushed)} lines (${n(push.bytes / MB, 1)} MB) in ${n(push.ms / 1000, 1)} s`);
    const start = push.first - NS_PER_S;
    const end = push.last + NS_PER_S;
    const held = await waitForCount(loki.url, SELECTOR, start, end, push.pushed, log);
    const lokiPid = await findPid(`${loki.dir}/loki.yaml`);

    log("starting the API as a child process…");
    api = await startApiChild(
      loki.url,
      { SERVICE_LABEL: "service_name", RATE_LIMIT_HEAVY: "1000000/1m", RATE_LIMIT_CHEAP: "1000000/1m" },
      log,
      process.env["EXPORT_BENCH_CPU_PROF"] || undefined,
    );
    const range = { start: String(start), end: String(end) };
    const exportOf = async (label: string, limit?: number) => {
      log(`exporting ${label} as CSV…`);
      const r = await csvExport(api!.base, { ...range, ...(limit ? { limit } : {}) }, api!.pid, lokiPid);
      log(
        `${label}: ${n(r.rows)} rows in ${n(r.ms / 1000, 1)} s (${n(rate(r.rows, r.ms))} rows/s), peak RSS ${n(r.peakRss / MB, 1)} MB${r.errorRow ? `, ended with ${r.errorRow}` : ""}`,
      );
      return r;
    };
    const anchorOf = async (label: string, stopAfter?: number) => {
      log(`plain query_range download of ${label}…`);
      const d = await plainDownload(loki.url, SELECTOR, start, end, stopAfter);
      log(
        `${label}: ${n(d.lines)} lines in ${n(d.ms / 1000, 1)} s (${n(rate(d.lines, d.ms))} lines/s), ${d.calls} calls`,
      );
      return d;
    };

    // Warm-up: the export path compiled and run once, Loki's first reads done, on both sides.
    await exportOf("warm-up (20,000 lines)", 20_000);
    await anchorOf("warm-up (20,000 lines)", 20_000);
    await api.heapAfterGc();
    const idle = await api.heapAfterGc();
    log(`API idle after a GC: RSS ${n(idle.rss / MB, 1)} MB, heap ${n(idle.heapUsed / MB, 1)} MB`);

    const small = await exportOf(`the first ${n(SMALL)} lines`, SMALL);
    const smallAnchor = await anchorOf(`the first ${n(SMALL)} lines`, SMALL);
    const before = await anchorOf(`all ${n(held)} lines (before)`);
    const full = await exportOf(`all ${n(held)} lines`);
    const after = await anchorOf(`all ${n(held)} lines (after)`);
    return report({ push, held, idle, small, smallAnchor, full, anchors: [before, after], loadStart });
  } finally {
    log("stopping the API and Loki…");
    await api?.stop();
    await client.close();
    await loki.dispose();
  }
}

interface Outcome {
  push: { pushed: number; bytes: number; ms: number; first: bigint; last: bigint };
  held: number;
  idle: { rss: number; heapUsed: number };
  small: ExportRun;
  smallAnchor: Download;
  full: ExportRun;
  anchors: [Download, Download];
  loadStart: string;
}

function report(o: Outcome): BenchReport {
  const { small, full, smallAnchor, anchors } = o;
  const anchorLines = anchors[0].lines + anchors[1].lines;
  const anchorRate = rate(anchorLines, anchors[0].ms + anchors[1].ms);
  const ours = rate(full.rows, full.ms);
  const oursSmall = rate(small.rows, small.ms);
  const anchorSmall = rate(smallAnchor.lines, smallAnchor.ms);
  const peak = (r: ExportRun) => r.peakRss / MB;
  const growth = peak(full) - peak(small);
  const flat = growth <= Math.max(10, 0.1 * peak(small));
  const rowsOk = full.rows === o.push.pushed && small.rows === SMALL && !full.errorRow && !small.errorRow;
  const anchorOk = anchors.every((a) => a.lines === o.push.pushed);
  const mb = (bytes: number) => n(bytes / MB, 1);
  const exportRow = (label: string, r: ExportRun) => [
    label,
    n(r.rows),
    n(r.ms / 1000, 1),
    n(rate(r.rows, r.ms)),
    mb(r.bytes),
    n(r.cpu.api, 1),
    n(r.cpu.loki, 1),
  ];
  const anchorRow = (label: string, d: Download) => [
    label,
    n(d.lines),
    n(d.ms / 1000, 1),
    n(rate(d.lines, d.ms)),
    mb(d.bytes),
    "—",
    "—",
  ];
  return {
    name,
    description: `POST /export as CSV of all ${n(o.held)} lines (and of the first ${n(SMALL)}), read to /dev/null, vs a plain forward query_range download of the same lines (5,000 per call, boundary-exact, raw JSON to /dev/null); the API as a child process, its VmRSS sampled every 100 ms`,
    oursLabel: "CSV export",
    anchorLabel: "plain query_range",
    measurements: [
      {
        label: `lines/s, all ${n(o.held)} lines (anchor: the runs before and after)`,
        unit: "lines/s",
        ours,
        anchor: anchorRate,
        ratio: ours / anchorRate,
        target: 0.8,
        digits: 0,
      },
      {
        label: `lines/s, the first ${n(SMALL)} lines`,
        unit: "lines/s",
        ours: oursSmall,
        anchor: anchorSmall,
        ratio: oursSmall / anchorSmall,
        target: null,
        digits: 0,
      },
      ...[small, full].map((r, i) => ({
        label: `peak RSS of the API (MB), ${i === 0 ? n(SMALL) : n(o.held)}-line export, vs the ${BUDGET_MB} MB budget`,
        unit: "MB",
        ours: peak(r),
        anchor: BUDGET_MB,
        ratio: peak(r) / BUDGET_MB,
        target: 1,
        better: "lower" as const,
        digits: 1,
      })),
      {
        label: `peak RSS at ${n(o.held)} lines vs at ${n(SMALL)} (flat: ${flat ? "yes" : "NO"}, ${growth >= 0 ? "+" : ""}${n(growth, 1)} MB)`,
        unit: "MB",
        ours: peak(full),
        anchor: peak(small),
        ratio: peak(full) / peak(small),
        target: null,
        better: "lower",
        digits: 1,
      },
      {
        label: `CSV rows counted vs lines pushed (${rowsOk ? "equal" : "NOT EQUAL"})`,
        unit: "lines",
        ours: full.rows,
        anchor: o.push.pushed,
        ratio: full.rows / o.push.pushed,
        target: null,
        digits: 0,
      },
    ],
    tables: [
      {
        title: "runs",
        columns: ["run", "lines", "s", "lines/s", "MB read", "API CPU s", "Loki CPU s"],
        rows: [
          exportRow(`CSV export, first ${n(SMALL)}`, small),
          anchorRow(`plain query_range, first ${n(SMALL)}`, smallAnchor),
          anchorRow("plain query_range, all (before)", anchors[0]),
          exportRow("CSV export, all", full),
          anchorRow("plain query_range, all (after)", anchors[1]),
        ],
      },
      {
        title: "the API's memory (MB)",
        columns: ["state", "RSS before", "peak RSS (sampled / VmHWM)", "peak − idle", "samples", "first byte ms"],
        rows: [
          ["idle after a GC", mb(o.idle.rss), `heap ${mb(o.idle.heapUsed)}`, "—", "—", "—"],
          ...[small, full].map((r, i) => [
            `exporting ${i === 0 ? n(SMALL) : "all"}`,
            mb(r.rssBefore),
            `${mb(r.peakRss)} / ${r.hwm === undefined ? "—" : mb(r.hwm)}`,
            mb(r.peakRss - o.idle.rss),
            String(r.samples),
            n(r.firstByteMs),
          ]),
        ],
      },
      {
        title: "lines",
        columns: ["what", "count", "as expected"],
        rows: [
          ["pushed", n(o.push.pushed), "—"],
          ["held by Loki (count_over_time)", n(o.held), o.held === o.push.pushed ? "yes" : "NO"],
          ["CSV rows, all", n(full.rows), full.rows === o.push.pushed && !full.errorRow ? "yes" : "NO"],
          [`CSV rows, first ${n(SMALL)}`, n(small.rows), small.rows === SMALL && !small.errorRow ? "yes" : "NO"],
          [
            "plain download, all (before / after)",
            `${n(anchors[0].lines)} / ${n(anchors[1].lines)}`,
            anchorOk ? "yes" : "NO",
          ],
        ],
      },
    ],
    notes: [
      `pushed ${n(o.push.pushed)} lines (${SERVICES.length} services, mean ${n(o.push.bytes / o.push.pushed)} bytes, groups of 1–4 sharing a nanosecond) in ${n(o.push.ms / 1000, 1)} s (${n(rate(o.push.pushed, o.push.ms))} lines/s)`,
      `load average at the start ${o.loadStart}, at the end ${load()} (${os.cpus().length} CPUs; the bench, the API and Loki share them)`,
      "peak RSS: the most of VmRSS sampled every 100 ms and of VmHWM reset before each export (/proc/PID/clear_refs); the 20,000-line warm-up ran first",
      `flat = the ${n(o.held)}-line peak at most max(10 MB, 10%) above the ${n(SMALL)}-line peak`,
      ...(full.errorRow ? [`the full export ended with an error row: ${full.errorRow}`] : []),
      ...(small.errorRow ? [`the ${n(SMALL)} export ended with an error row: ${small.errorRow}`] : []),
    ],
    data: {
      ...o,
      push: { ...o.push, first: String(o.push.first), last: String(o.push.last) },
      anchorRate,
      ours,
      flat,
      rowsOk,
    },
  };
}
