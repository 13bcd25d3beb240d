import type { Column, ExportFailure, ExportRow, FormatWriter } from "../types.ts";
import { chunks, columnValue, failureText } from "./values.ts";

/**
 * RFC 4180: CRLF records, a header row, a field quoted when it holds a comma, a quote, a CR or an LF (a
 * multi-line stack trace stays one field), quotes doubled. Formula injection is neutralised as OWASP
 * recommends (and as csv-stringify's `escape_formulas` does): a cell starting with `=`, `+`, `-`, `@`, tab or
 * CR (or their full-width forms) gets a leading `'`, in every column and the header; a cell that is a
 * number (from a numeric field) is written as is, since a number cannot carry a formula. Written by hand:
 * csv-stringify quotes only a full CRLF (a bare LF split a row in two) and was the export's hottest cost.
 */

type Cell = string | number | boolean | null;

const FORMULA_START = new Set(["=", "+", "-", "@", "\t", "\r", "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20"]);
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field. */
export function csvField(value: Cell): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
  if (typeof value === "boolean") return value ? "true" : "false";
  let text = value;
  if (text.length > 0 && FORMULA_START.has(text[0]!)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const record = (cells: readonly Cell[]): string => `${cells.map(csvField).join(",")}\r\n`;

export function csvWriter(columns: readonly Column[]): FormatWriter {
  const messageAt = columns.findIndex((c) => c.kind === "base" && c.name === "message");
  return {
    contentType: "text/csv; charset=utf-8; header=present",
    extension: "csv",
    begin: () => chunks(record(columns.map((c) => c.name))),
    write(rows: readonly ExportRow[]): Uint8Array[] {
      if (rows.length === 0) return [];
      let text = "";
      for (const row of rows) text += record(columns.map((c) => cell(row, c)));
      return chunks(text);
    },
    end(failure?: ExportFailure): Uint8Array[] {
      return failure ? chunks(record(errorRow(failure, columns.length, messageAt))) : [];
    },
  };
}

function cell(row: ExportRow, column: Column): Cell {
  const value = columnValue(row, column);
  return typeof value === "object" && value !== null ? JSON.stringify(value) : value;
}

/** `#ERROR` first, then `code: message (N rows written)` in the message column, or else the second cell. */
function errorRow(failure: ExportFailure, width: number, messageAt: number): string[] {
  const at = messageAt > 0 ? messageAt : 1;
  const row = Array.from({ length: Math.max(width, at + 1) }, () => "");
  row[0] = "#ERROR";
  row[at] = failureText(failure);
  return row;
}
