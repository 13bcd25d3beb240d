// WS /api/v1/ai_logs/stream under fan-out (issue 11): 1,000 subscribers of one service (one shared
// upstream Loki tail) against one client tailing Loki directly, both in this process, on lines pushed
// at a steady rate that carry their wall-clock send time. Reports delivery lag p50/p99 over every
// (subscriber, line) pair against the direct client's (target p99 ≤ 1.5×), Loki's own count of open
// tails (loki_querier_tail_active) before, during and after, whether every subscriber got every line
// once, and the API's memory per subscriber (the API runs as a child process; /proc VmRSS, and heap
// after a GC read through its inspector).
// Knobs: STREAM_BENCH_SUBSCRIBERS (1000), STREAM_BENCH_SECONDS (25), STREAM_BENCH_RATE (50 lines/s),
// STREAM_BENCH_CPU_PROF=<dir> (the API child writes a --cpu-prof profile there when it stops).
import { readdir, readFile } from "node:fs/promises";
import { LokiClient } from "../../src/loki/client.ts";
import { nowNs } from "../../src/loki/time.ts";
import { startLoki } from "../lib/local-loki.ts";
import { DirectTail, Subscriber } from "./stream-clients.ts";
import {
  type ApiChild,
  lokiActiveTails,
  procCpuSeconds,
  procMemory,
  sleep,
  startApiChild,
  wallMs,
} from "./stream-env.ts";
import { fmt, MB, type Mem, report } from "./stream-report.ts";
import type { BenchReport } from "./types.ts";

export const name = "stream";

const SUBSCRIBERS = Math.max(2, Number(process.env["STREAM_BENCH_SUBSCRIBERS"]) || 1000);
const SECONDS = Math.max(5, Number(process.env["STREAM_BENCH_SECONDS"]) || 25);
const RATE = Math.max(1, Number(process.env["STREAM_BENCH_RATE"]) || 50);
const PER_PUSH = 5;
const PUSH_EVERY_MS = (1000 * PER_PUSH) / RATE;
const TOTAL = Math.round((SECONDS * 1000) / PUSH_EVERY_MS) * PER_PUSH;
const BATCH = 100;
const SETTLE_MS = 3_000;

export async function run(log: (m: string) => void): Promise<BenchReport> {
  log("starting Loki…");
  const loki = await startLoki();
  const client = new LokiClient({ url: loki.url, timeoutMs: 30_000 });
  const service = `bench-stream-${Date.now().toString(36)}`;
  const query = `{service_name="${service}"}`;
  let api: ApiChild | undefined;
  let direct: DirectTail | undefined;
  const subs: Subscriber[] = [];
  const tails: Array<{ phase: string; active: number; whose: string }> = [];
  /** Loki's open tails once they reach `expected` (the gauge follows a tail's opening by a moment), or after 5 s. */
  const sampleTails = async (phase: string, whose: string, expected?: number) => {
    if (expected !== undefined) await waitFor(async () => (await lokiActiveTails(loki.url)) === expected, 5_000);
    const active = await lokiActiveTails(loki.url);
    tails.push({ phase, active, whose });
    log(`Loki tails open (${phase}): ${active} — expected ${whose}`);
    return active;
  };
  const push = async (lines: string[]) => {
    const t = nowNs();
    await client.push([{ stream: { service_name: service }, values: lines.map((l, i) => [t + BigInt(i), l]) }]);
  };
  try {
    await sampleTails("before anything", "0", 0);
    // One line first, so the service has a stream when the API looks for it.
    await push(['level=info msg="stream bench" seed']);

    log("starting the API as a child process…");
    api = await startApiChild(
      loki.url,
      { SERVICE_LABEL: "service_name", RATE_LIMIT_HEAVY: "1000000/1m", RATE_LIMIT_CHEAP: "1000000/1m" },
      log,
      process.env["STREAM_BENCH_CPU_PROF"] || undefined,
    );
    const lokiPid = await findPid(`${loki.dir}/loki.yaml`);
    await api.heapAfterGc(); // start-up garbage (compiling the sources) out of the idle reading
    const memIdle = await memory(api, "idle", log);

    direct = new DirectTail(loki.url, query, TOTAL);
    await direct.start();
    await sampleTails("direct client tailing", "1 (direct)", 1);

    // The first subscriber opens the shared tail; warm-up lines run the whole path once before the baseline.
    const first = new Subscriber(api.wsUrl, TOTAL);
    subs.push(first);
    await first.subscribe(service);
    log(`subscriber 1 reads the shared tail ${first.selector}`);
    await sampleTails("1 subscriber", "2 (1 shared + 1 direct)", 2);
    for (let i = 0; i < 20; i++) {
      await push([`level=info msg="stream bench" sent=${wallMs()} warm=${i}`]);
      await sleep(100);
    }
    await waitFor(() => first.got.warm >= 20 && direct!.got.warm >= 20, 15_000);
    log(`warm-up: subscriber 1 got ${first.got.warm}/20 lines, the direct client ${direct.got.warm}/20`);
    const memOne = await memory(api, "1 subscriber", log);

    for (let from = 1; from < SUBSCRIBERS; from += BATCH) {
      const batch = Array.from(
        { length: Math.min(BATCH, SUBSCRIBERS - from) },
        () => new Subscriber(api!.wsUrl, TOTAL),
      );
      subs.push(...batch);
      await Promise.all(batch.map((s) => s.subscribe(service)));
      log(`${subs.length}/${SUBSCRIBERS} subscribed`);
    }
    const selectors = new Set(subs.map((s) => s.selector));
    if (selectors.size !== 1) throw new Error(`subscribers read different tails: ${[...selectors].join(", ")}`);
    const memAll = await memory(api, `${SUBSCRIBERS} subscribers`, log);
    const tailsSubscribed = await sampleTails(`${SUBSCRIBERS} subscribers`, "2 (1 shared + 1 direct)", 2);

    // The measured run: PER_PUSH lines per push, RATE lines/s on average, each line carrying its send time.
    // Pushes are spaced at random (0.5–1.5× the mean gap): Loki's querier polls a quiet tail every 500 ms,
    // and a fixed push period would put each side's lags on a lattice set by its poll phase.
    log(`pushing ${TOTAL} lines over ${SECONDS} s (${RATE} lines/s, ${PER_PUSH} per push)…`);
    const cpu0 = await cpuNow(api.pid, lokiPid);
    const t0 = wallMs();
    const during: Array<Promise<number>> = [];
    let due = t0;
    let nextSample = t0 + 5_000;
    for (let n = 0; n < TOTAL; ) {
      if (due > wallMs()) await sleep(due - wallMs());
      due += PUSH_EVERY_MS * (0.5 + Math.random());
      const sent = wallMs();
      await push(
        Array.from({ length: PER_PUSH }, () => `level=info msg="stream bench" sent=${sent.toFixed(3)} n=${n++}`),
      );
      if (wallMs() >= nextSample) {
        nextSample += 5_000;
        during.push(sampleTails(`pushing, ${n} lines sent`, "2 (1 shared + 1 direct)"));
      }
    }
    const pushSeconds = (wallMs() - t0) / 1000;
    log(`pushed ${TOTAL} lines in ${fmt(pushSeconds)} s; waiting for delivery…`);
    const complete = () => direct!.got.distinct === TOTAL && subs.every((s) => s.got.distinct === TOTAL);
    await waitFor(complete, 15_000);
    const cpu1 = await cpuNow(api.pid, lokiPid);
    await sleep(2_500); // late repeats would show here
    const memRun = await procMemory(api.pid);

    log("unsubscribing…");
    for (let from = 0; from < subs.length; from += BATCH) {
      await Promise.all(subs.slice(from, from + BATCH).map((s) => s.unsubscribe()));
    }
    await sampleTails("subscribers unsubscribed", "1 (direct)", 1);
    direct.close();
    await sampleTails("direct client closed", "0", 0);

    const apiTails = Math.max(tailsSubscribed, ...(await Promise.all(during))) - 1;
    return report({
      shape: { name, total: TOTAL, rate: RATE, perPush: PER_PUSH, settleMs: SETTLE_MS },
      subs,
      direct,
      tails,
      apiTails,
      mem: { idle: memIdle, one: memOne, all: memAll, run: memRun },
      cpu: { api: cpu1.api - cpu0.api, loki: cpu1.loki - cpu0.loki, bench: cpu1.bench - cpu0.bench },
      seconds: (cpu1.at - cpu0.at) / 1000,
      pushSeconds,
    });
  } finally {
    log("stopping clients, the API and Loki…");
    for (const s of subs) s.close();
    direct?.close();
    await api?.stop();
    await client.close();
    await loki.dispose();
  }
}

/** After a settle: VmRSS as it is, then a full GC in the API (inspector) and its heap and VmRSS after it. */
async function memory(api: ApiChild, state: string, log: (m: string) => void): Promise<Mem> {
  await sleep(SETTLE_MS);
  const settled = await procMemory(api.pid);
  const gc = await api.heapAfterGc();
  const after = await procMemory(api.pid);
  log(
    `API memory, ${state}: VmRSS ${fmt(settled.rss / MB)} MB, after a GC ${fmt(after.rss / MB)} MB, heap ${fmt(gc.heapUsed / MB)} MB`,
  );
  return { ...settled, gc: { rss: after.rss, heapUsed: gc.heapUsed } };
}

async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return true;
    await sleep(100);
  }
  return ok();
}

/** The pid of the process whose command line contains `text` (Loki's, by its config path). */
async function findPid(text: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(text)) return Number(entry);
  }
  return undefined;
}

async function cpuNow(apiPid: number, lokiPid: number | undefined) {
  const own = process.cpuUsage();
  return {
    at: Date.now(),
    api: await procCpuSeconds(apiPid),
    loki: lokiPid ? await procCpuSeconds(lokiPid) : Number.NaN,
    bench: (own.user + own.system) / 1e6,
  };
}
