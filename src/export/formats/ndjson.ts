import type { Column, ExportFailure, ExportRow, FormatWriter } from "../types.ts";
import { chunks, failureRecord, rowObject } from "./values.ts";

/** One JSON object per line; a failure is a last line `{"error":{...}}`. */
export function ndjsonWriter(columns: readonly Column[]): FormatWriter {
  return {
    contentType: "application/x-ndjson",
    extension: "ndjson",
    begin: () => [],
    write(rows: readonly ExportRow[]): Uint8Array[] {
      let text = "";
      for (const row of rows) text += `${JSON.stringify(rowObject(row, columns))}\n`;
      return chunks(text);
    },
    end(failure?: ExportFailure): Uint8Array[] {
      return failure ? chunks(`${JSON.stringify(failureRecord(failure))}\n`) : [];
    },
  };
}
