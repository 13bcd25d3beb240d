import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { open, rename } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import type { ExportFormat } from "../../src/export/types.ts";
import { type CheckResult, parquetCheck, textCheck } from "./check.ts";
import type { Progress } from "./progress.ts";
import type { OpenedExport } from "./source.ts";

/**
 * Copies the export's body to its output and decides whether it is complete: the bytes go to `<out>.partial`
 * (renamed to `<out>` only once the export is known whole) or to stdout, and, uncompressed when gzip, through
 * the format's check (check.ts). A failure keeps `<out>.partial` (never `<out>`), so no truncated file ever
 * looks like a finished export.
 */

export interface WriteTarget {
  out: string;
  format: ExportFormat;
  gzip: boolean;
  progress: Progress;
  signal: AbortSignal;
}

export type Outcome =
  | { ok: true; rows: number; bytes: number; path: string }
  | {
      ok: false;
      rows: number;
      bytes: number;
      kind: "error-record" | "cut" | "output" | "interrupted";
      message: string;
      kept?: string;
    };

/** Bytes of a Parquet tail kept when the footer cannot be read back from a plain file (stdout, gzip). */
const TAIL_CAP = 16 * 1024 * 1024;

export async function writeExport(opened: OpenedExport, t: WriteTarget): Promise<Outcome> {
  const toFile = t.out !== "-";
  const path = toFile ? `${t.out}.partial` : "-";
  const sink = toFile ? fileSink(path) : stdoutSink();
  const text = t.format === "parquet" ? undefined : textCheck(t.format);
  const tail = t.format === "parquet" && (!toFile || t.gzip) ? new Tail(TAIL_CAP) : undefined;
  const plain = plainBytes(t.gzip, (chunk) => (text ? text.push(chunk) : tail?.push(chunk)));
  const started = Date.now();
  let bytes = 0;
  const failed = (kind: Exclude<Outcome, { ok: true }>["kind"], message: string, rows = text?.rows ?? 0) =>
    ({ ok: false, rows, bytes, kind, message, ...(toFile ? { kept: path } : {}) }) as const;

  const reader = opened.body.getReader();
  const onAbort = () => void reader.cancel(new Error("interrupted")).catch(() => {});
  t.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        if (t.signal.aborted) break;
        await sink.close().catch(() => {});
        return failed("cut", `the connection was cut before the export's end (${messageOf(err)})`);
      }
      if (next.done) break;
      bytes += next.value.length;
      try {
        await sink.write(next.value);
      } catch (err) {
        void reader.cancel().catch(() => {});
        return failed("output", `cannot write ${path}: ${messageOf(err)}`);
      }
      await plain.write(next.value).catch(() => {}); // a gzip error is reported by end()
      t.progress.update(() => ({
        lines: text?.rows,
        bytes,
        elapsedMs: Date.now() - started,
        estimatedLines: estimated(opened),
      }));
    }
  } finally {
    t.signal.removeEventListener("abort", onAbort);
  }
  try {
    await sink.close();
  } catch (err) {
    return failed("output", `cannot write ${path}: ${messageOf(err)}`);
  }
  if (t.signal.aborted) return failed("interrupted", "interrupted before the export's end");
  try {
    await plain.end();
  } catch (err) {
    return failed("cut", `the gzip stream is incomplete (${messageOf(err)})`);
  }
  const result: CheckResult = text ? text.finish() : parquetCheck(tail ? tail.bytes() : await fileFooter(path));
  if (!result.ok) return failed(result.kind, result.message, result.rows);
  if (toFile) await rename(path, t.out);
  return { ok: true, rows: result.rows, bytes, path: t.out };
}

/** The estimate the progress counts against: the API's, never above the export's limit. */
function estimated(o: OpenedExport): number | undefined {
  if (o.estimatedLines === undefined) return undefined;
  return o.limit === undefined ? o.estimatedLines : Math.min(o.estimatedLines, o.limit);
}

interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

function fileSink(path: string): Sink {
  const stream = createWriteStream(path);
  let error: Error | undefined;
  stream.on("error", (err) => {
    error ??= err;
  });
  return {
    async write(chunk) {
      if (error) throw error;
      if (!stream.write(chunk)) await once(stream, "drain");
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (error) return reject(error);
        stream.end(() => (error ? reject(error) : resolve()));
      }),
  };
}

function stdoutSink(): Sink {
  return {
    async write(chunk) {
      if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
    },
    close: async () => {},
  };
}

/** The body's uncompressed bytes, handed to `onData` (gunzipped first when `gzip`). */
function plainBytes(gzip: boolean, onData: (chunk: Uint8Array) => void) {
  if (!gzip) return { write: async (chunk: Uint8Array) => onData(chunk), end: async () => {} };
  const gunzip = createGunzip();
  let error: Error | undefined;
  gunzip.on("data", onData);
  gunzip.on("error", (err) => {
    error ??= err;
  });
  return {
    write: (chunk: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        if (error) return reject(error);
        gunzip.write(chunk, (err) => (err ? reject(err) : resolve()));
      }),
    end: () =>
      new Promise<void>((resolve, reject) => {
        if (error) return reject(error);
        gunzip.once("end", resolve);
        gunzip.once("error", reject);
        gunzip.end();
      }),
  };
}

/** The last `cap` bytes (at least) of a stream, in the chunks they came in. */
class Tail {
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.cap) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/** A Parquet file's footer and what follows it (metadata, its length, `PAR1`), read from the file's end. */
async function fileFooter(path: string): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size < 8) return new Uint8Array(0);
    const end = Buffer.alloc(8);
    await file.read(end, 0, 8, size - 8);
    const length = Math.min(end.readUInt32LE(0) + 8, size);
    const footer = Buffer.alloc(length);
    await file.read(footer, 0, length, size - length);
    return footer;
  } finally {
    await file.close();
  }
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } })?.cause;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.message ? `${message}: ${cause.message}` : message;
}
