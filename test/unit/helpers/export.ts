import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ExportFailure, ExportRow, FormatWriter } from "../../../src/export/types.ts";

const T0 = 1_764_453_398_000_000_000n; // 2025-11-29T21:56:38Z in ns

/** A plain exported line; `i` makes it distinct (its nanosecond part included). */
export function exportRow(i: number, over: Partial<ExportRow> = {}): ExportRow {
  const ns = T0 + BigInt(i) * 1_000_000_123n;
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  const ts = `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
  return {
    ts,
    ts_ns: ns.toString(),
    service: i % 2 ? "checkout" : "auth",
    level: i % 3 ? "info" : "error",
    labels: { service_name: i % 2 ? "checkout" : "auth", env: "prod" },
    message: `request ${i} done`,
    line: `level=info msg="request ${i} done" duration_ms=${i * 1.5} user=u${i}`,
    fields: { duration_ms: String(i * 1.5), user: `u${i}`, cached: i % 2 ? "true" : "false" },
    ...over,
  };
}

/** Everything a writer emits for these batches (begin, each write, end), as one buffer and per call. */
export function runWriter(writer: FormatWriter, batches: ExportRow[][], failure?: ExportFailure) {
  const calls: Uint8Array[][] = [writer.begin(), ...batches.map((b) => writer.write(b)), writer.end(failure)];
  return { bytes: Buffer.concat(calls.flat()), calls };
}

/** Writes the bytes to a temporary file and runs `read` with DuckDB over it (read_parquet), then cleans up. */
export async function withDuckParquet<T>(bytes: Uint8Array, read: (q: Query, file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "logsleuth-export-"));
  const file = join(dir, "export.parquet");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await writeFile(file, bytes);
    const q: Query = async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
    return await read(q, `'${file}'`);
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

export type Query = (sql: string) => Promise<Record<string, unknown>[]>;
