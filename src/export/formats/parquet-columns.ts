import type { SchemaElement } from "hyparquet-writer";
import type { Column, ExportRow, FieldType } from "../types.ts";
import { fieldValue } from "./values.ts";

/**
 * One Parquet column: its schema element and how a row's value is read for it.
 *
 * Types: `ts` is INT64 TIMESTAMP(NANOS, UTC) and `ts_ns` plain INT64 (both exact to the nanosecond); `service`,
 * `level`, `message` and `line` are UTF8 strings; `labels` is a JSON string (BYTE_ARRAY, JSON logical type).
 * Fields are OPTIONAL: a field asked as `:number` is DOUBLE, `:boolean` BOOLEAN, and any other (`:string` or
 * untyped) a UTF8 string holding the value's text — so the schema is known before the first row and never
 * depends on which lines came first, and an untyped field never loses a value.
 */
export interface ParquetColumn {
  element: SchemaElement;
  value(row: ExportRow): unknown;
  /** Rough in-memory bytes of a row's value, to close a row group before it grows large. */
  size(value: unknown): number;
}

const utf8 = { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } } as const;

export function parquetColumn(column: Column): ParquetColumn {
  if (column.kind === "field") return fieldColumn(column.name, column.type);
  const name = column.name;
  switch (name) {
    case "ts":
      return {
        element: {
          name,
          type: "INT64",
          repetition_type: "REQUIRED",
          logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" },
        },
        value: (row) => BigInt(row.ts_ns),
        size: () => 8,
      };
    case "ts_ns":
      return {
        element: { name, type: "INT64", repetition_type: "REQUIRED" },
        value: (row) => BigInt(row.ts_ns),
        size: () => 8,
      };
    case "labels":
      return {
        element: {
          name,
          type: "BYTE_ARRAY",
          converted_type: "JSON",
          logical_type: { type: "JSON" },
          repetition_type: "REQUIRED",
        },
        value: (row) => row.labels,
        size: (value) => labelsSize(value as Record<string, string>),
      };
    default:
      return { element: { name, ...utf8, repetition_type: "REQUIRED" }, value: (row) => row[name], size: textSize };
  }
}

function fieldColumn(name: string, type: FieldType | undefined): ParquetColumn {
  const read = (row: ExportRow) => fieldValue(row.fields[name], type);
  if (type === "number") {
    return { element: { name, type: "DOUBLE", repetition_type: "OPTIONAL" }, value: read, size: () => 8 };
  }
  if (type === "boolean") {
    return { element: { name, type: "BOOLEAN", repetition_type: "OPTIONAL" }, value: read, size: () => 1 };
  }
  return {
    element: { name, ...utf8, repetition_type: "OPTIONAL" },
    value: (row) => {
      const value = read(row);
      return value === null ? null : String(value);
    },
    size: textSize,
  };
}

function textSize(value: unknown): number {
  return typeof value === "string" ? value.length + 4 : 1;
}

function labelsSize(labels: Record<string, string>): number {
  let n = 2;
  for (const key in labels) n += key.length + (labels[key]?.length ?? 0) + 6;
  return n;
}

/** The file's schema: a root of the columns, in order. */
export function parquetSchema(columns: readonly ParquetColumn[]): SchemaElement[] {
  return [{ name: "root", num_children: columns.length }, ...columns.map((c) => c.element)];
}
