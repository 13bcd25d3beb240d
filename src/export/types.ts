/**
 * One exported line, as every format writes it: NDJSON/JSON objects carry these names, CSV and Parquet
 * columns too. `fields` holds the parsed fields the caller asked for by name (absent → null).
 */
export interface ExportRow {
  /** RFC3339 with nanoseconds, UTC: 2026-11-29T21:56:38.123456789Z */
  ts: string;
  /** Unix nanoseconds as a decimal string. */
  ts_ns: string;
  service: string;
  level: string;
  labels: Record<string, string>;
  message: string;
  /** The raw line, as Loki stored it. */
  line: string;
  /** Requested parsed fields by name (JSON or logfmt fields of the line; structured metadata). */
  fields: Record<string, string | number | boolean | null>;
}

/** The columns every export can carry, in their default order. */
export const BASE_COLUMNS = ["ts", "ts_ns", "service", "level", "labels", "message", "line"] as const;
export type BaseColumn = (typeof BASE_COLUMNS)[number];

/**
 * How a field column is typed (asked with a suffix, `duration_ms:number`). Without one a field is written as
 * parsed (JSON/CSV) and as a string in Parquet; with one every format writes it as that type (null when a value
 * cannot be read as it), so one export's schema never depends on which lines came first.
 */
export const FIELD_TYPES = ["string", "number", "boolean"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** A column of the export: a base column, or a parsed field by name (optionally typed). */
export type Column = { kind: "base"; name: BaseColumn } | { kind: "field"; name: string; type?: FieldType };

export const FORMATS = ["json", "ndjson", "csv", "parquet"] as const;
export type ExportFormat = (typeof FORMATS)[number];

/** Why an export stopped before its end (written as a final record / file metadata, never a silent cut). */
export interface ExportFailure {
  code: string;
  message: string;
  /** Rows written before the failure. */
  rows: number;
}

/**
 * Writes rows of one format as bytes. Pure of I/O: the export pipeline sends what it returns, so it
 * decides the pace (backpressure) and the writer holds at most one row group.
 */
export interface FormatWriter {
  readonly contentType: string;
  /** File extension without the dot (csv, parquet, ...). */
  readonly extension: string;
  /** The bytes that start the output (a CSV header, `[`, nothing). */
  begin(): Uint8Array[];
  /** The bytes for these rows (a Parquet writer may hold rows until its row group is full). */
  write(rows: readonly ExportRow[]): Uint8Array[];
  /** The closing bytes: the rest of the rows, then a final error record when `failure` is given. */
  end(failure?: ExportFailure): Uint8Array[];
}
