// Builds (once, cached) and runs the Go harness around Loki's own Drain, scripts/loki/drainbench.
// It is a package of the wrapper module scripts/loki/, so it compiles against exactly the pinned
// Loki (that module's go.mod and go.sum, unchanged). The binary is cached outside the repo, next to
// the Loki build (LOGSLEUTH_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/logsleuth), under a name that
// carries the hash of its sources, so it is rebuilt only when main.go, go.mod or go.sum change.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const scriptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrapperDir = path.join(scriptsDir, "loki");
const SOURCES = ["drainbench/main.go", "go.mod", "go.sum"];

export interface DrainRunReport {
  file: string;
  format: string;
  lines: number;
  repeat: number;
  linesPerRun: number;
  runsNs: number[];
  elapsedNs: number;
  linesPerSec: number;
  skipped: number;
  /** LineIds (from 1) that Drain skipped in the last run's last pass. */
  skippedLines: number[];
  clustersCreated: number;
  clustersLive: number;
  clustersEvicted: number;
  maxClusters: number;
  maxAllowedLineLength: number;
}

function cacheRoot(): string {
  const explicit = process.env["LOGSLEUTH_CACHE"];
  if (explicit) return explicit;
  const xdg = process.env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  return path.join(xdg, "logsleuth");
}

function findGo(): string {
  const candidates = [
    ...(process.env["PATH"] ?? "").split(path.delimiter).map((dir) => path.join(dir, "go")),
    "/usr/local/go/bin/go",
    "/usr/lib/go/bin/go",
  ];
  const go = candidates.find((c) => c !== "go" && existsSync(c));
  if (go === undefined) {
    throw new Error(
      "Go is not installed: the Drain harness is built from the pinned Loki module and needs Go >= 1.26 (https://go.dev/dl).",
    );
  }
  return go;
}

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of SOURCES) {
    hash.update(file);
    hash.update(await readFile(path.join(wrapperDir, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** The harness binary's path; builds it first when its sources changed (prints progress via log). */
export async function drainHarness(log: (message: string) => void): Promise<string> {
  const dir = path.join(cacheRoot(), "drain-bench");
  const name = `drainbench-${await sourceHash()}`;
  const bin = path.join(dir, name);
  if (existsSync(bin)) {
    log(`reusing the Drain harness ${bin}`);
    return bin;
  }
  await mkdir(dir, { recursive: true });
  const go = findGo();
  const tmp = `${bin}.tmp-${process.pid}`;
  log(`building the Drain harness (scripts/loki/drainbench, Loki v3.7.8 from scripts/loki/go.mod) into ${bin}`);
  log("first time only: compiles Loki's drain package and its dependencies, about 2 minutes on 2 cores");
  const start = Date.now();
  const heartbeat = setInterval(
    () => log(`still building the Drain harness... ${Math.round((Date.now() - start) / 1000)}s`),
    20_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ["build", "-o", tmp, "./drainbench"], {
        cwd: wrapperDir,
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`go build failed (${signal ?? `exit ${code}`})`)),
      );
    });
  } finally {
    clearInterval(heartbeat);
  }
  await rename(tmp, bin);
  log(`built the Drain harness in ${Math.round((Date.now() - start) / 1000)}s`);
  // Binaries of earlier sources are never used again.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith("drainbench-") && entry !== name && !entry.includes(".tmp-")) {
      await rm(path.join(dir, entry), { force: true });
    }
  }
  return bin;
}

export interface DrainRunOptions {
  repeat: number;
  runs: number;
  warmup: number;
  /** Where the harness writes `LineId<TAB>template`; none when omitted. */
  out?: string;
}

/** Runs the harness on one file of messages and returns its self-reported timing. */
export async function runDrain(bin: string, file: string, options: DrainRunOptions): Promise<DrainRunReport> {
  const args = [
    `-repeat=${options.repeat}`,
    `-runs=${options.runs}`,
    `-warmup=${options.warmup}`,
    `-out=${options.out ?? ""}`,
    file,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`drainbench ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`));
      const last = stderr.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as DrainRunReport);
      } catch {
        reject(new Error(`drainbench printed no JSON report: ${stderr.trim()}`));
      }
    });
  });
}
