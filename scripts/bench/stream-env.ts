// What the stream bench needs around it: the API as a child process (so its memory and CPU are its own),
// readings of that process from /proc, its heap through the inspector (no endpoint added to the server),
// and Loki's own tail gauge from /metrics.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import { freePorts } from "../lib/free-port.ts";
import { stopChild, track } from "../lib/processes.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface ApiChild {
  base: string;
  wsUrl: string;
  pid: number;
  /** process.memoryUsage() of the child after a full GC, read through the inspector. */
  heapAfterGc(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }>;
  stop(): Promise<void>;
}

/**
 * The API (`node --import tsx src/index.ts`, as `npm start` runs it) on a free port, auth off, with the
 * inspector on a second port for heap readings; `cpuProfDir` adds --cpu-prof (written when it stops).
 */
export async function startApiChild(
  lokiUrl: string,
  env: Record<string, string>,
  log: (m: string) => void,
  cpuProfDir?: string,
): Promise<ApiChild> {
  const [port, inspectPort] = (await freePorts(2)) as [number, number];
  const args = [
    "--max-semi-space-size=32",
    `--inspect=127.0.0.1:${inspectPort}`,
    ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
    "--import",
    "tsx",
    "src/index.ts",
  ];
  const child = spawn(path.join(repoRoot, "node_modules/.bin/node"), args, {
    cwd: repoRoot,
    // Only what it needs: no API_KEYS_FILE or REDIS_URL from the caller's shell.
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOKI_URL: lokiUrl,
      LOG_LEVEL: "warn",
      AUTH: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let output = "";
  const onData = (d: Buffer) => {
    const text = d.toString();
    output = (output + text).slice(-8_000);
    for (const line of text.split("\n")) {
      if (line.trim() && !/Debugger (listening|attached|ending)|For help, see|Waiting for the debugger/.test(line)) {
        log(`api: ${line.slice(0, 300)}`);
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base, child, () => output);
  } catch (err) {
    await stopChild(child, 2_000);
    throw err;
  }
  return {
    base,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/ai_logs/stream`,
    pid: child.pid!,
    heapAfterGc: () => heapAfterGc(inspectPort),
    stop: () => stopChild(child, 10_000),
  };
}

async function waitHealthy(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the API exited during start-up (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const ok = await fetch(`${base}/api/v1/ai_logs/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.body?.cancel().then(() => r.status < 500) ?? r.status < 500,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`the API did not answer /health within 60 s:\n${output()}`);
}

/** Resident memory (VmRSS) and its peak (VmHWM) of a process, in bytes. */
export async function procMemory(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
}

/** CPU time (user + system, seconds) a process has used so far. */
export async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** A full GC in the child, then its process.memoryUsage(), over the inspector protocol (one short session). */
async function heapAfterGc(inspectPort: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("the API's inspector lists no target");
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 0;
  const call = (method: string, params: unknown = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (data: Buffer) => {
        const msg = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
        if (msg.id !== id) return;
        ws.off("message", onMessage);
        if (msg.error) reject(new Error(`inspector ${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result ?? {});
      };
      ws.on("message", onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    const out = await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    });
    return JSON.parse((out["result"] as { value: string }).value) as {
      rss: number;
      heapUsed: number;
      external: number;
      arrayBuffers: number;
    };
  } finally {
    ws.close();
  }
}

/** Loki's own count of open tails (the querier's gauge, `loki_querier_tail_active`, Loki 3.7). */
export async function lokiActiveTails(lokiUrl: string): Promise<number> {
  const text = await (await fetch(`${lokiUrl}/metrics`)).text();
  const m = /^loki_querier_tail_active (\S+)$/m.exec(text);
  if (!m) throw new Error("Loki's /metrics has no loki_querier_tail_active gauge");
  return Number(m[1]);
}

/** The value at quantile q (0–1) of sorted values (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wall-clock milliseconds with sub-millisecond precision (same clock as the lines' `sent=`). */
export const wallMs = () => performance.timeOrigin + performance.now();
