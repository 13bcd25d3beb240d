import { describe, expect, it } from "vitest";
import { formatOfName, parseCli, UsageError } from "../../scripts/export-cli/args.ts";
import { type CheckResult, csvCells, parquetCheck, textCheck } from "../../scripts/export-cli/check.ts";
import { Progress, type ProgressState, progressText } from "../../scripts/export-cli/progress.ts";
import { createWriter } from "../../src/export/formats/index.ts";
import { resolveColumns } from "../../src/export/rows.ts";
import type { ExportFailure, ExportFormat } from "../../src/export/types.ts";
import { exportRow, runWriter } from "./helpers/export.ts";

// The CLI's completeness check (scripts/export-cli/check.ts): an export is complete only when it ends with
// its format's proper end and its last record is not an error record; only the last record can be one.

type TextFormat = "ndjson" | "json" | "csv";

/** The check's verdict on `body`, fed in chunks cut at every `step` bytes (records split across chunks). */
function verdict(format: TextFormat, body: string | Uint8Array, step = Number.POSITIVE_INFINITY): CheckResult {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
  const check = textCheck(format);
  for (let i = 0; i < bytes.length; i += Math.min(step, bytes.length)) check.push(bytes.subarray(i, i + step));
  return check.finish();
}

const failure: ExportFailure = { code: "loki-unavailable", message: "Loki went away", rows: 5 };
const rows = Array.from({ length: 5 }, (_, i) => exportRow(i, { message: i === 2 ? 'say "hi",\r\nthen go' : `m${i}` }));

/** A real writer's bytes for the five rows, with or without a final failure. */
function written(format: ExportFormat, fail?: ExportFailure, columns = resolveColumns(undefined)): Buffer {
  return runWriter(createWriter(format, columns), [rows.slice(0, 2), rows.slice(2)], fail).bytes;
}

describe("trailing error record detection on plain text", () => {
  it("NDJSON: a final {error} line fails the export; the same object earlier, or a row with an error field, does not", () => {
    const ok = '{"ts":"a","message":"x"}\n{"error":"a field named error"}\n';
    expect(verdict("ndjson", ok)).toEqual({ ok: true, rows: 2 });
    const bad = `${ok}{"error":{"code":"loki-unavailable","message":"gone","rows":2}}\n`;
    expect(verdict("ndjson", bad)).toEqual({
      ok: false,
      rows: 2,
      kind: "error-record",
      message: "loki-unavailable: gone (2 rows written)",
    });
    const earlier = `{"error":{"code":"x","message":"y","rows":0}}\n{"ts":"a"}\n`;
    expect(verdict("ndjson", earlier)).toEqual({ ok: true, rows: 2 });
    expect(verdict("ndjson", "")).toEqual({ ok: true, rows: 0 });
  });

  it("NDJSON: a body that stops inside a line is cut", () => {
    expect(verdict("ndjson", '{"ts":"a"}\n{"ts":')).toMatchObject({ ok: false, kind: "cut", rows: 1 });
  });

  it("JSON: the array must be closed; a last element {error} fails it", () => {
    expect(verdict("json", '[{"a":1},\n{"a":2}]\n')).toEqual({ ok: true, rows: 2 });
    expect(verdict("json", "[]\n")).toEqual({ ok: true, rows: 0 });
    expect(verdict("json", '[{"a":1},\n{"error":{"code":"c","message":"m","rows":1}}]\n')).toMatchObject({
      ok: false,
      kind: "error-record",
      rows: 1,
      message: "c: m (1 rows written)",
    });
    expect(verdict("json", '[{"error":{"code":"c","message":"m","rows":0}}]\n')).toMatchObject({
      kind: "error-record",
      rows: 0,
    });
    expect(verdict("json", '[{"a":1},\n{"a":2},\n')).toMatchObject({ ok: false, kind: "cut" });
    expect(verdict("json", '[{"a":1},\n{"a"')).toMatchObject({ ok: false, kind: "cut" });
    expect(verdict("json", "")).toMatchObject({ ok: false, kind: "cut" });
  });

  it("CSV: a last row starting #ERROR with the failure text fails it; quoted line breaks are not row ends", () => {
    const head = 'ts,message\r\n1,"two\r\nlines, ""quoted"""\r\n2,#ERROR\r\n';
    expect(verdict("csv", head)).toEqual({ ok: true, rows: 2 });
    expect(verdict("csv", `${head}#ERROR,x: y (2 rows written)\r\n`)).toEqual({
      ok: false,
      rows: 2,
      kind: "error-record",
      message: "x: y (2 rows written)",
    });
    // A row whose first cell is #ERROR but is no failure text stays a row.
    expect(verdict("csv", `${head}#ERROR,just a message\r\n`)).toEqual({ ok: true, rows: 3 });
    expect(verdict("csv", 'ts,message\r\n1,"open quote\r\n')).toMatchObject({ ok: false, kind: "cut" });
    expect(verdict("csv", "")).toMatchObject({ ok: false, kind: "cut" });
    expect(verdict("csv", "ts,message\r\n")).toEqual({ ok: true, rows: 0 });
  });

  it("reads an RFC 4180 record's cells", () => {
    expect(csvCells('a,"b,c","d""e",,"f\r\ng"')).toEqual(["a", "b,c", 'd"e', "", "f\r\ng"]);
  });
});

describe("the check on the real writers' output, however the bytes are chunked", () => {
  const formats: TextFormat[] = ["ndjson", "json", "csv"];
  it.each(formats)("%s: complete → every row; with a failure → the error; cut anywhere → never complete", (format) => {
    const complete = written(format);
    const broken = written(format, failure);
    for (const step of [1, 7, 64, complete.length]) {
      expect(verdict(format, complete, step)).toEqual({ ok: true, rows: rows.length });
      expect(verdict(format, broken, step)).toEqual({
        ok: false,
        rows: rows.length,
        kind: "error-record",
        message: "loki-unavailable: Loki went away (5 rows written)",
      });
    }
    // Every prefix that is not the whole body is either cut or one row short of it: a cut at a record
    // boundary of NDJSON/CSV looks whole to the format (the transport's chunked end tells it apart).
    for (let end = 0; end < complete.length; end++) {
      const result = verdict(format, complete.subarray(0, end), 13);
      if (result.ok) expect(format).not.toBe("json");
      if (result.ok) expect(result.rows).toBeLessThan(rows.length);
    }
  });

  it("CSV with the message column first still finds the failure text", () => {
    const columns = resolveColumns(["message", "ts"]);
    expect(verdict("csv", written("csv", failure, columns))).toMatchObject({ ok: false, kind: "error-record" });
    expect(verdict("csv", written("csv", undefined, columns))).toEqual({ ok: true, rows: rows.length });
  });

  it("Parquet: the footer's logsleuth.complete decides; a missing footer is a cut", () => {
    const parquet = written("parquet");
    expect(parquetCheck(parquet)).toEqual({ ok: true, rows: rows.length });
    // The footer alone (what the CLI reads back from the file's end, or keeps for stdout and gzip) is enough.
    const footer = parquet.readUInt32LE(parquet.length - 8) + 8;
    expect(parquetCheck(parquet.subarray(parquet.length - footer))).toEqual({ ok: true, rows: rows.length });
    expect(parquetCheck(parquet.subarray(parquet.length - footer + 1))).toMatchObject({ ok: false, kind: "cut" });
    expect(parquetCheck(written("parquet", failure))).toMatchObject({
      ok: false,
      kind: "error-record",
      message: "loki-unavailable: Loki went away (5 rows written)",
    });
    expect(parquetCheck(parquet.subarray(0, parquet.length - 1))).toMatchObject({ ok: false, kind: "cut" });
  });
});

describe("command line", () => {
  it("builds the body from the options, the format from --out's name", () => {
    const cli = parseCli(
      ["--out", "x.csv.gz", "--service", "a,b", "--service", "c", "--since", "1h", "--limit", "10", "--trace-id", "t1"],
      {},
    );
    expect(cli?.body).toEqual({
      service: ["a", "b", "c"],
      since: "1h",
      limit: 10,
      trace_id: "t1",
      format: "csv",
      compression: "gzip",
    });
    expect(formatOfName("x.jsonl")).toEqual({ format: "ndjson", gzip: false });
    expect(formatOfName("x.txt").format).toBeUndefined();
    expect(parseCli(["--help"], {})).toBeUndefined();
    expect(parseCli(["--out", "-", "--api", "http://h"], { LOGSLEUTH_API_KEY: "k" })?.key).toBe("k");
  });

  it("names each bad field by its option", () => {
    const bad = () => parseCli(["--out", "x", "--format", "xml", "--level", "loud", "--limit", "0"], {});
    expect(bad).toThrow(UsageError);
    expect(bad).toThrow(/--format: format must be one of/);
    expect(bad).toThrow(/--level: level must be among/);
    expect(bad).toThrow(/--limit: limit must be at least 1/);
    expect(() => parseCli(["--service", "a"], {})).toThrow(/--out FILE is required/);
    expect(() => parseCli(["--out", "x", "--bogus"], {})).toThrow(UsageError);
    expect(() => parseCli(["--out", "x", "--limit", "ten"], {})).toThrow(/--limit must be a whole number/);
  });
});

describe("progress line", () => {
  it("shows lines against the estimate, bytes, rate and ETA", () => {
    const text = progressText({ lines: 5_000, bytes: 1_500_000, elapsedMs: 2_000, estimatedLines: 20_000 });
    expect(text).toBe("[#####···············] 5,000 / ~20,000 lines (25%) · 1.50 MB · 2,500 lines/s · ETA 0:06");
    expect(progressText({ lines: undefined, bytes: 2_000_000, elapsedMs: 1_000, estimatedLines: 9 })).toBe(
      "2.00 MB · 2.00 MB/s",
    );
    expect(progressText({ lines: 30, bytes: 10, elapsedMs: 1_000, estimatedLines: 20 })).toMatch(/\(100%\)/);
  });
});

describe("progress output", () => {
  const state = (): ProgressState => ({ lines: 10, bytes: 100, elapsedMs: 1_000, estimatedLines: 20 });
  function drawn(tty: boolean, times: number[]) {
    let now = 0;
    const out: string[] = [];
    const progress = new Progress({ write: (s) => out.push(s), tty, everyMs: 5_000, now: () => now });
    for (const t of times) {
      now = t;
      progress.update(state);
    }
    progress.clear();
    return out;
  }

  it("a terminal gets one line redrawn in place, then cleared", () => {
    const out = drawn(true, [50, 150, 200, 260]);
    expect(out.length).toBe(3); // at 150, 260 (≥ 100 ms apart), then the clear
    expect(out[0]).toBe(`\r${progressText(state())}\x1b[K`);
    expect(out.at(-1)).toBe("\r\x1b[K");
  });

  it("anything else gets a plain line every few seconds", () => {
    const out = drawn(false, [1_000, 5_000, 6_000, 10_500]);
    expect(out).toEqual([`export: ${progressText(state())}\n`, `export: ${progressText(state())}\n`]);
  });
});
