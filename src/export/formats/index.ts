import type { Column, ExportFormat, FormatWriter } from "../types.ts";
import { csvWriter } from "./csv.ts";
import { jsonWriter } from "./json.ts";
import { ndjsonWriter } from "./ndjson.ts";
import { DEFAULT_ROW_GROUP, parquetWriter, type RowGroupLimits } from "./parquet.ts";
import { checkColumns } from "./values.ts";

export type { RowGroupLimits } from "./parquet.ts";

export interface WriterOptions {
  /** Parquet only: when a row group is full (default 10,000 rows or ~8 MB). */
  rowGroup?: RowGroupLimits;
}

/** The writer of one export's bytes in `format`, for these columns in this order. */
export function createWriter(format: ExportFormat, columns: Column[], options: WriterOptions = {}): FormatWriter {
  checkColumns(columns);
  switch (format) {
    case "ndjson":
      return ndjsonWriter(columns);
    case "json":
      return jsonWriter(columns);
    case "csv":
      return csvWriter(columns);
    case "parquet":
      return parquetWriter(columns, options.rowGroup ?? DEFAULT_ROW_GROUP);
  }
}
