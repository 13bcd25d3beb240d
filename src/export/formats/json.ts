import type { Column, ExportFailure, ExportRow, FormatWriter } from "../types.ts";
import { chunks, failureRecord, rowObject } from "./values.ts";

/** One JSON array streamed element by element; a failure is its last element `{"error":{...}}`. */
export function jsonWriter(columns: readonly Column[]): FormatWriter {
  let first = true;
  const element = (value: unknown): string => {
    const text = `${first ? "" : ",\n"}${JSON.stringify(value)}`;
    first = false;
    return text;
  };
  return {
    contentType: "application/json",
    extension: "json",
    begin: () => chunks("["),
    write(rows: readonly ExportRow[]): Uint8Array[] {
      let text = "";
      for (const row of rows) text += element(rowObject(row, columns));
      return chunks(text);
    },
    end(failure?: ExportFailure): Uint8Array[] {
      return chunks(`${failure ? element(failureRecord(failure)) : ""}]\n`);
    },
  };
}
