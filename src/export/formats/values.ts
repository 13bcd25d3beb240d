import type { Column, ExportFailure, ExportRow, FieldType } from "../types.ts";

/** A field's value as one export cell: as parsed, or read as the column's type (null when it cannot be). */
export type FieldValue = string | number | boolean | null;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A field's value read as the column's type; untyped fields pass through as parsed (absent → null). */
export function fieldValue(value: FieldValue | undefined, type: FieldType | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  switch (type) {
    case undefined:
      return value;
    case "string":
      return String(value);
    case "number":
      return asNumber(value);
    case "boolean":
      return asBoolean(value);
  }
}

function asNumber(value: string | number | boolean): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (!NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function asBoolean(value: string | number | boolean): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return null;
  const text = value.trim().toLowerCase();
  return text === "true" ? true : text === "false" ? false : null;
}

/** The value of one column for one row: base columns as the row holds them, fields read as their type. */
export function columnValue(row: ExportRow, column: Column): FieldValue | Record<string, string> {
  if (column.kind === "field") return fieldValue(row.fields[column.name], column.type);
  return row[column.name];
}

/** The row as the object NDJSON and JSON write: the columns' names in order, `labels` as an object. */
export function rowObject(row: ExportRow, columns: readonly Column[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column.name] = columnValue(row, column);
  return out;
}

/** One writer's columns must have distinct names (the request parser reports duplicates as a 400 first). */
export function checkColumns(columns: readonly Column[]): void {
  if (columns.length === 0) throw new Error("an export writer needs at least one column");
  const names = new Set(columns.map((c) => c.name));
  if (names.size !== columns.length) throw new Error("an export writer's columns must have distinct names");
}

/** The failure as one line of text: `code: message (N rows written)`. */
export function failureText(failure: ExportFailure): string {
  return `${failure.code}: ${failure.message} (${failure.rows} rows written)`;
}

/** The failure as the final record of NDJSON and JSON. */
export function failureRecord(failure: ExportFailure): { error: ExportFailure } {
  return { error: { code: failure.code, message: failure.message, rows: failure.rows } };
}

/** UTF-8 bytes of some text, as one chunk (none for empty text). */
export function chunks(text: string): Uint8Array[] {
  return text === "" ? [] : [Buffer.from(text, "utf8")];
}
