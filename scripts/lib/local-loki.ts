import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { freePorts } from "./free-port.ts";
import { stopChild, track } from "./processes.ts";

const repoRoot = resolve(import.meta.dirname, "../..");

/**
 * Path of the pinned Loki binary: LOKI_BIN, or scripts/get-loki.sh (builds it
 * once, ~9 minutes, then reuses the cache). Its progress goes to our stderr.
 */
export function resolveLokiBin(): string {
  if (process.env.LOKI_BIN) return process.env.LOKI_BIN;
  const result = spawnSync("bash", [join(repoRoot, "scripts/get-loki.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const path = result.stdout.trim().split("\n").at(-1);
  if (result.status !== 0 || !path) {
    throw new Error("could not get Loki (see the messages above from scripts/get-loki.sh)");
  }
  return path;
}

export interface LocalLokiOptions {
  bin?: string;
  authEnabled?: boolean;
  /** Keep the data directory after stop (the demo removes it; tests do too). */
  keepData?: boolean;
  /** Loki's own log level. */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Log Loki's output here (default: kept in memory, shown when start-up fails). */
  onOutput?: (chunk: string) => void;
}

export interface LocalLoki {
  url: string;
  httpPort: number;
  dir: string;
  authEnabled: boolean;
  /** Stops Loki (data dir kept, so start() resumes with the same data and ports). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops Loki and removes its data dir. */
  dispose(): Promise<void>;
  /** Freezes / resumes the process (SIGSTOP / SIGCONT): a Loki that hangs. */
  pause(): void;
  resume(): void;
}

/** Loki's configuration for a local single-binary instance in `dir` (filesystem storage, tsdb v13). */
export function lokiConfig(dir: string, httpPort: number, grpcPort: number, authEnabled: boolean, logLevel: string) {
  return {
    auth_enabled: authEnabled,
    server: {
      http_listen_address: "127.0.0.1",
      http_listen_port: httpPort,
      grpc_listen_address: "127.0.0.1",
      grpc_listen_port: grpcPort,
      log_level: logLevel,
    },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: dir,
      storage: { filesystem: { chunks_directory: join(dir, "chunks"), rules_directory: join(dir, "rules") } },
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
    },
    schema_config: {
      configs: [
        {
          from: "2020-10-24",
          store: "tsdb",
          object_store: "filesystem",
          schema: "v13",
          index: { prefix: "index_", period: "24h" },
        },
      ],
    },
    ingester: { lifecycler: { min_ready_duration: "0s" } },
    pattern_ingester: { enabled: true },
    limits_config: {
      reject_old_samples: false,
      allow_structured_metadata: true,
      volume_enabled: true,
      discover_log_levels: true,
      ingestion_rate_mb: 64,
      ingestion_burst_size_mb: 128,
      per_stream_rate_limit: "64MB",
      per_stream_rate_limit_burst: "128MB",
    },
    analytics: { reporting_enabled: false },
  };
}

/** Starts the real Loki on free ports with its config and data in a temp dir; resolves once /ready answers. */
export async function startLoki(options: LocalLokiOptions = {}): Promise<LocalLoki> {
  const bin = options.bin ?? resolveLokiBin();
  const authEnabled = options.authEnabled ?? false;
  const [httpPort, grpcPort, memberlistPort] = (await freePorts(3)) as [number, number, number];
  const dir = await mkdtemp(join(tmpdir(), "logsleuth-loki-"));
  const configPath = join(dir, "loki.yaml");
  await writeFile(configPath, stringify(lokiConfig(dir, httpPort, grpcPort, authEnabled, options.logLevel ?? "warn")));
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    let output = "";
    const proc = spawn(bin, [`-config.file=${configPath}`, `-memberlist.bind-port=${memberlistPort}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(proc);
    child = proc;
    const onData = (d: Buffer) => {
      const s = d.toString();
      if (options.onOutput) options.onOutput(s);
      else output = (output + s).slice(-8_000);
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    const failed = new Promise<never>((_, reject) => {
      proc.once("error", (err) => reject(new Error(`cannot run Loki at ${bin}: ${err.message}`)));
      proc.once("exit", (code, signal) =>
        reject(new Error(`Loki exited during start-up (${code ?? signal}):\n${output.slice(-3_000)}`)),
      );
    });
    await Promise.race([waitReady(url, 90_000), failed]).catch(async (err: unknown) => {
      await stopChild(proc, 2_000);
      throw err;
    });
  };

  await start();
  return {
    url,
    httpPort,
    dir,
    authEnabled,
    start,
    stop: async () => {
      if (child) await stopChild(child);
    },
    dispose: async () => {
      if (child) await stopChild(child);
      if (!options.keepData) await rm(dir, { recursive: true, force: true });
    },
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) });
      last = (await res.text()).trim();
      if (res.status === 200) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Loki at ${url} was not ready within ${timeoutMs} ms (last answer: ${last})`);
}
