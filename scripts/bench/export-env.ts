// What the export bench measures with: the anchor (a plain forward paged query_range download written to
// /dev/null), and a CSV export read to /dev/null with its rows counted and the API child's VmRSS sampled.
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { Nanos } from "../../src/loki/time.ts";
import { procCpuSeconds, procMemory } from "./stream-env.ts";

export interface Download {
  lines: number;
  bytes: number;
  ms: number;
  calls: number;
}

/**
 * The anchor: what a client does without us. query_range forward, 5,000 lines a call, each raw JSON
 * response written to /dev/null and parsed; the next call starts at the last timestamp of the page and
 * skips the lines of it already had (boundary-exact). Stops after `stopAfter` lines.
 */
export async function plainDownload(lokiUrl: string, query: string, start: Nanos, end: Nanos, stopAfter = Infinity) {
  const out = openSync("/dev/null", "w");
  const t0 = performance.now();
  let lo = start;
  let seen = new Set<string>();
  const got: Download = { lines: 0, bytes: 0, ms: 0, calls: 0 };
  try {
    for (;;) {
      // The last call of a partial download asks for no more than it needs (plus the lines it skips at `lo`).
      const limit = Math.min(5000, stopAfter - got.lines + seen.size);
      const params = { query, start: String(lo), end: String(end), limit: String(limit), direction: "forward" };
      const res = await fetch(`${lokiUrl}/loki/api/v1/query_range?${new URLSearchParams(params)}`);
      const raw = Buffer.from(await res.arrayBuffer());
      got.calls++;
      if (res.status !== 200) throw new Error(`query_range answered ${res.status}: ${raw.toString().slice(0, 300)}`);
      writeSync(out, raw);
      got.bytes += raw.length;
      const body = JSON.parse(raw.toString()) as {
        data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
      };
      let n = 0;
      let last = lo;
      for (const s of body.data.result)
        for (const [ts] of s.values) {
          n++;
          const t = BigInt(ts);
          if (t > last) last = t;
        }
      const key = (s: { stream: Record<string, string> }, v: [string, string]) =>
        `${JSON.stringify(s.stream)}\u0000${v[0]}\u0000${v[1]}`;
      const atLast = new Set<string>();
      for (const s of body.data.result)
        for (const v of s.values) {
          const t = BigInt(v[0]);
          if (t === lo && seen.has(key(s, v))) continue; // given by the previous page
          got.lines++;
          if (t === last) atLast.add(key(s, v));
        }
      if (n < limit || got.lines >= stopAfter) break;
      if (last === lo) throw new Error(`more than ${limit} lines at ${lo}: the plain download cannot page past them`);
      seen = atLast;
      lo = last;
    }
  } finally {
    closeSync(out);
  }
  got.ms = performance.now() - t0;
  return got;
}

export interface ExportRun {
  status: number;
  rows: number;
  bytes: number;
  ms: number;
  firstByteMs: number;
  /** Peak VmRSS of the API sampled every 100 ms, and its VmHWM (reset before the export when allowed). */
  peakRss: number;
  hwm: number | undefined;
  rssBefore: number;
  samples: number;
  errorRow: string | undefined;
  headers: Record<string, string>;
  cpu: { api: number; loki: number };
}

/** POST /export as CSV, the body to /dev/null, rows counted as they come, the API's VmRSS sampled meanwhile. */
export async function csvExport(
  base: string,
  body: Record<string, unknown>,
  apiPid: number,
  lokiPid: number | undefined,
): Promise<ExportRun> {
  const hwmReset = resetHwm(apiPid);
  const rssBefore = (await procMemory(apiPid)).rss;
  let peakRss = rssBefore;
  let samples = 0;
  const sampler = setInterval(() => {
    procMemory(apiPid).then(
      (m) => {
        samples++;
        if (m.rss > peakRss) peakRss = m.rss;
      },
      () => {},
    );
  }, 100);
  const cpu0 = { api: await procCpuSeconds(apiPid), loki: lokiPid ? await procCpuSeconds(lokiPid) : Number.NaN };
  const out = openSync("/dev/null", "w");
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}/api/v1/ai_logs/export`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, format: "csv" }),
    });
    if (res.status !== 200 || !res.body) throw new Error(`/export answered ${res.status}: ${await res.text()}`);
    let newlines = 0;
    let bytes = 0;
    let firstByteMs = Number.NaN;
    let tail = "";
    for await (const chunk of res.body) {
      if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t0;
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      writeSync(out, buf);
      bytes += buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) newlines++;
      tail = (tail + buf.subarray(Math.max(0, buf.length - 2048)).toString("latin1")).slice(-2048);
    }
    const ms = performance.now() - t0;
    const lastRow = tail.trimEnd().split("\n").at(-1) ?? "";
    const hwm = hwmReset ? (await procMemory(apiPid)).hwm : undefined;
    const cpu1 = { api: await procCpuSeconds(apiPid), loki: lokiPid ? await procCpuSeconds(lokiPid) : Number.NaN };
    return {
      status: res.status,
      rows: newlines - 1, // the header; lines hold no line breaks, so one per row
      bytes,
      ms,
      firstByteMs,
      peakRss: Math.max(peakRss, hwm ?? 0),
      hwm,
      rssBefore,
      samples,
      errorRow: lastRow.startsWith("#ERROR") ? lastRow.slice(0, 300) : undefined,
      headers: Object.fromEntries([...res.headers].filter(([k]) => k.startsWith("x-logsleuth"))),
      cpu: { api: cpu1.api - cpu0.api, loki: cpu1.loki - cpu0.loki },
    };
  } finally {
    clearInterval(sampler);
    closeSync(out);
  }
}

/** Resets the process's VmHWM (peak RSS) to its current RSS (`echo 5 > /proc/PID/clear_refs`); false if not allowed. */
function resetHwm(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The pid of the process whose command line contains `text` (Loki's, by its config path). */
export async function findPid(text: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(text)) return Number(entry);
  }
  return undefined;
}
