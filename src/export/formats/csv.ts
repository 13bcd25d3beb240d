import { type Options, stringify } from "csv-stringify/sync";
import type { Column, ExportFailure, ExportRow, FormatWriter } from "../types.ts";
import { chunks, columnValue, failureText } from "./values.ts";

/**
 * RFC 4180 (CRLF records, quotes doubled, fields with a comma, quote or line break quoted) with a header row,
 * by csv-stringify. Formula injection is neutralised by its `escape_formulas` (OWASP): a cell starting with
 * `=`, `+`, `-`, `@`, tab or CR (or their full-width forms) gets a leading `'`, in every column and the header;
 * a cell that is a number (from a numeric field) is written as is, since a number cannot carry a formula.
 */
const OPTIONS: Options = {
  escape_formulas: true,
  record_delimiter: "windows",
  cast: { boolean: (value) => (value ? "true" : "false") },
};

type Cell = string | number | boolean | null;

export function csvWriter(columns: readonly Column[]): FormatWriter {
  const messageAt = columns.findIndex((c) => c.kind === "base" && c.name === "message");
  return {
    contentType: "text/csv; charset=utf-8; header=present",
    extension: "csv",
    begin: () => chunks(stringify([columns.map((c) => c.name)], OPTIONS)),
    write(rows: readonly ExportRow[]): Uint8Array[] {
      if (rows.length === 0) return [];
      return chunks(
        stringify(
          rows.map((row) => columns.map((c) => cell(row, c))),
          OPTIONS,
        ),
      );
    },
    end(failure?: ExportFailure): Uint8Array[] {
      return failure ? chunks(stringify([errorRow(failure, columns.length, messageAt)], OPTIONS)) : [];
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
