import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "./free-port.ts";
import { stopChild, track } from "./processes.ts";

export interface LocalRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
}

/** Starts the system's `redis-server` on a free port, nothing persisted. */
export async function startRedis(options: { bin?: string; port?: number } = {}): Promise<LocalRedis> {
  const bin = options.bin ?? process.env.REDIS_SERVER_BIN ?? "redis-server";
  const port = options.port ?? (await freePort());
  let child: ReturnType<typeof spawn> | undefined;
  const start = async () => {
    const proc = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    track(proc);
    child = proc;
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const spawnError = new Promise<never>((_, reject) =>
      proc.once("error", (err) =>
        reject(new Error(`cannot run ${bin}: ${err.message}. Install it (Debian: apt-get install redis-server).`)),
      ),
    );
    await Promise.race([waitForPort(port, 10_000, () => stderr), spawnError]);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      if (child) await stopChild(child, 3_000);
    },
  };
}

async function waitForPort(port: number, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" }, () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms: ${why()}`);
}
