import { ByteWriter, type ColumnSource, type KeyValue, ParquetWriter } from "hyparquet-writer";
import type { Column, ExportFailure, ExportRow, FormatWriter } from "../types.ts";
import { type ParquetColumn, parquetColumn, parquetSchema } from "./parquet-columns.ts";
import { failureText } from "./values.ts";

export interface RowGroupLimits {
  /** Rows in a full row group. */
  rows: number;
  /** Rough in-memory bytes of a full row group (strings counted by their length). */
  bytes: number;
}

export const DEFAULT_ROW_GROUP: RowGroupLimits = { rows: 10_000, bytes: 8 * 1024 * 1024 };

/**
 * Parquet by hyparquet-writer's incremental ParquetWriter: the `PAR1` magic on begin, one row group each time
 * the rows held reach `limits` (encoded and handed back at once, so the writer holds at most one row group),
 * the last group and the footer on end. The footer's key-value metadata says `logsleuth.complete` ("true" or
 * "false"), `logsleuth.rows`, and on failure `logsleuth.error` (`code: message (N rows written)`), so a cut
 * export is still a valid file that says it is incomplete.
 */
export function parquetWriter(columns: readonly Column[], limits: RowGroupLimits = DEFAULT_ROW_GROUP): FormatWriter {
  const group = new RowGroup(columns.map(parquetColumn));
  const out = new ByteWriter();
  const pq = new ParquetWriter({ writer: out, schema: group.schema(), createdBy: "logsleuth" });
  let rows = 0;

  /** The bytes written since the last drain; the writer's buffer is reused (its `offset` keeps counting). */
  const drain = (): Uint8Array[] => {
    if (out.index === 0) return [];
    const bytes = out.getBytes().slice();
    out.index = 0;
    return [bytes];
  };
  const flush = (): void => {
    if (group.rows === 0) return;
    const n = group.rows;
    // Synchronous with a ByteWriter (no flush hook): the group's bytes are in `out` when this returns.
    if (pq.write({ columnData: group.take(), rowGroupSize: n }) instanceof Promise) throw new Error("async write");
    rows += n;
  };

  return {
    contentType: "application/vnd.apache.parquet",
    extension: "parquet",
    begin: drain,
    write(batch: readonly ExportRow[]): Uint8Array[] {
      for (const row of batch) {
        group.add(row);
        if (group.rows >= limits.rows || group.bytes >= limits.bytes) flush();
      }
      return drain();
    },
    end(failure?: ExportFailure): Uint8Array[] {
      flush();
      pq.kvMetadata = footerMetadata(rows, failure);
      if (pq.finish() instanceof Promise) throw new Error("async finish");
      return drain();
    },
  };
}

function footerMetadata(rows: number, failure: ExportFailure | undefined): KeyValue[] {
  const meta: KeyValue[] = [
    { key: "logsleuth.complete", value: failure ? "false" : "true" },
    { key: "logsleuth.rows", value: String(rows) },
  ];
  if (failure) meta.push({ key: "logsleuth.error", value: failureText(failure) });
  return meta;
}

/** The rows of the row group being filled, held column by column. */
class RowGroup {
  rows = 0;
  bytes = 0;
  private data: unknown[][];

  constructor(private readonly columns: readonly ParquetColumn[]) {
    this.data = columns.map(() => []);
  }

  schema() {
    return parquetSchema(this.columns);
  }

  add(row: ExportRow): void {
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const value = column.value(row);
      this.data[i]!.push(value);
      this.bytes += column.size(value);
    }
    this.rows++;
  }

  /** The held rows as hyparquet-writer's column data; the group starts empty again. */
  take(): ColumnSource[] {
    const taken = this.columns.map((c, i) => ({ name: c.element.name, data: this.data[i]! }));
    this.data = this.columns.map(() => []);
    this.rows = 0;
    this.bytes = 0;
    return taken;
  }
}
