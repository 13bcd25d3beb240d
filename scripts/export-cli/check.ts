import { parquetMetadata } from "hyparquet";

/**
 * Whether an export's bytes are a whole, successful export, read as they stream (NDJSON, JSON, CSV) or from
 * the file's end (Parquet). The API never cuts an export silently: a failure after the first byte ends it with
 * an error record (NDJSON/JSON `{"error":{code,message,rows}}`, CSV a `#ERROR` row, Parquet
 * `logsleuth.complete=false` in the footer). Only the LAST record can be one, so only the last is parsed.
 * A body that stops without its format's proper end (inside a record, a JSON array left open, no CSV
 * header, no Parquet footer) is reported as cut. Counting is on the uncompressed bytes.
 */

export type CheckResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; kind: "error-record" | "cut"; message: string };

export interface TextCheck {
  push(chunk: Uint8Array): void;
  /** Records seen so far (rows, plus a CSV header and any error record not told apart yet). */
  readonly rows: number;
  finish(): CheckResult;
}

const NL = 0x0a;
const QUOTE = 0x22;

/**
 * Splits bytes into records at newlines (for CSV only those outside quotes), keeping only the last complete
 * record and the bytes after it. Memory: one record, whatever the export's size.
 */
class Records {
  count = 0;
  last: Uint8Array = new Uint8Array(0);
  rest: Uint8Array = new Uint8Array(0);
  private inQuotes = false;

  constructor(private readonly quoted: boolean) {}

  push(chunk: Uint8Array): void {
    const ends = this.quoted ? this.quotedEnds(chunk) : plainEnds(chunk);
    if (ends.count === 0) {
      this.rest = concat(this.rest, chunk);
      return;
    }
    this.count += ends.count;
    this.last =
      ends.previous >= 0 ? chunk.slice(ends.previous + 1, ends.last) : concat(this.rest, chunk.subarray(0, ends.last));
    this.rest = chunk.slice(ends.last + 1);
  }

  /** Newlines outside double quotes (RFC 4180: a doubled quote toggles twice, so parity is all it takes). */
  private quotedEnds(chunk: Uint8Array): Ends {
    const ends: Ends = { count: 0, last: -1, previous: -1 };
    let i = 0;
    let quote = chunk.indexOf(QUOTE);
    let nl = chunk.indexOf(NL);
    while (i < chunk.length) {
      if (quote >= 0 && quote < i) quote = chunk.indexOf(QUOTE, i);
      if (this.inQuotes) {
        if (quote < 0) break;
        this.inQuotes = false;
        i = quote + 1;
        continue;
      }
      if (nl >= 0 && nl < i) nl = chunk.indexOf(NL, i);
      if (nl >= 0 && (quote < 0 || nl < quote)) {
        ends.count++;
        ends.previous = ends.last;
        ends.last = nl;
        i = nl + 1;
      } else if (quote >= 0) {
        this.inQuotes = true;
        i = quote + 1;
      } else break;
    }
    return ends;
  }
}

interface Ends {
  count: number;
  /** Offset of the last newline in the chunk, and of the one before it (-1: none). */
  last: number;
  previous: number;
}

function plainEnds(chunk: Uint8Array): Ends {
  const ends: Ends = { count: 0, last: -1, previous: -1 };
  for (let at = chunk.indexOf(NL); at >= 0; at = chunk.indexOf(NL, at + 1)) {
    ends.count++;
    ends.previous = ends.last;
    ends.last = at;
  }
  return ends;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  return Buffer.concat([a, b]);
}

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");

/** `{"error":{code,message,rows}}` and nothing else (a row always has its columns, never an object value). */
export function failureOf(record: string): string | undefined {
  if (!record.startsWith('{"error":{')) return undefined;
  try {
    const value = JSON.parse(record) as Record<string, unknown>;
    const error = value.error as Record<string, unknown> | null;
    if (Object.keys(value).length !== 1 || typeof error !== "object" || error === null) return undefined;
    if (typeof error.code !== "string" || typeof error.message !== "string") return undefined;
    return `${error.code}: ${error.message}${typeof error.rows === "number" ? ` (${error.rows} rows written)` : ""}`;
  } catch {
    return undefined;
  }
}

const cut = (rows: number, message: string): CheckResult => ({ ok: false, rows, kind: "cut", message });
const failed = (rows: number, message: string): CheckResult => ({ ok: false, rows, kind: "error-record", message });

/** NDJSON: one object per line, every line ending with `\n`; a failure is the last line. */
export function ndjsonCheck(): TextCheck {
  const records = new Records(false);
  return {
    push: (chunk) => records.push(chunk),
    get rows() {
      return records.count;
    },
    finish() {
      const rows = records.count;
      if (records.rest.length > 0) return cut(rows, "the output ends inside a line (no final newline)");
      const failure = rows > 0 ? failureOf(text(records.last)) : undefined;
      return failure ? failed(rows - 1, failure) : { ok: true, rows };
    },
  };
}

/** JSON: `[` then one element per line (`,` ending all but the last), `]\n` at the end. */
export function jsonCheck(): TextCheck {
  const records = new Records(false);
  let first: number | undefined;
  return {
    push(chunk) {
      if (first === undefined && chunk.length > 0) first = chunk[0];
      records.push(chunk);
    },
    get rows() {
      return records.count;
    },
    finish() {
      const lines = records.count;
      const last = text(records.last);
      if (first !== 0x5b) return cut(0, "the output is not a JSON array (no opening [)");
      if (records.rest.length > 0 || lines === 0 || !last.endsWith("]")) {
        return cut(Math.max(0, lines - 1), "the JSON array is not closed (no final ])");
      }
      const element = (lines === 1 ? last.slice(1) : last).slice(0, -1);
      if (element === "") return { ok: true, rows: 0 };
      const failure = failureOf(element);
      return failure ? failed(lines - 1, failure) : { ok: true, rows: lines };
    },
  };
}

/** CSV (RFC 4180, CRLF): a header record, rows, and on failure a last row whose first cell is `#ERROR`. */
export function csvCheck(): TextCheck {
  const records = new Records(true);
  return {
    push: (chunk) => records.push(chunk),
    get rows() {
      return Math.max(0, records.count - 1);
    },
    finish() {
      const rows = Math.max(0, records.count - 1);
      if (records.count === 0) return cut(0, "the output has no CSV header row");
      if (records.rest.length > 0) return cut(rows, "the output ends inside a row (no final line break)");
      if (rows === 0) return { ok: true, rows };
      const cells = csvCells(text(records.last).replace(/\r$/, ""));
      const message = cells.slice(1).find((c) => /\(\d+ rows written\)$/.test(c));
      return cells[0] === "#ERROR" && message ? failed(rows - 1, message) : { ok: true, rows };
    },
  };
}

/** The cells of one RFC 4180 record (quotes removed, doubled quotes undone). */
export function csvCells(record: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i];
    if (quoted) {
      if (c !== '"') cell += c;
      else if (record[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * Parquet: the footer (the file's last bytes: metadata, its length, `PAR1`) must be there and its key-value
 * metadata must say `logsleuth.complete` = "true"; the rows are the footer's count.
 */
export function parquetCheck(tail: Uint8Array): CheckResult {
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(tail);
  } catch (err) {
    return cut(0, `no readable Parquet footer (${(err as Error).message})`);
  }
  const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
  const rows = Number(meta.num_rows);
  if (kv.get("logsleuth.complete") === "true") return { ok: true, rows };
  const error = kv.get("logsleuth.error");
  if (kv.get("logsleuth.complete") === "false") return failed(rows, error ?? "logsleuth.complete=false");
  return cut(rows, "the Parquet footer has no logsleuth.complete key (not a Logsleuth export)");
}

export function textCheck(format: "ndjson" | "json" | "csv"): TextCheck {
  return format === "ndjson" ? ndjsonCheck() : format === "json" ? jsonCheck() : csvCheck();
}
