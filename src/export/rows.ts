import type { ServiceCatalog } from "../query/discovery.ts";
import type { LogEntry } from "../query/entry.ts";
import type { ParsedLine } from "../query/lines.ts";
import { serviceOf } from "../query/service.ts";
import { ExportError } from "./errors.ts";
import { splitFieldType } from "./field-types.ts";
import { BASE_COLUMNS, type BaseColumn, type Column, type ExportRow } from "./types.ts";

/**
 * `columns` as the caller names them: base columns (`timestamp` is `ts`) and parsed fields by name, a field
 * optionally typed with a suffix (`duration_ms:number`, `cached:boolean`; see field-types.ts).
 */
export function resolveColumns(names: readonly string[] | undefined): Column[] {
  if (!names?.length) return BASE_COLUMNS.map((name) => ({ kind: "base", name }));
  const out: Column[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    const { name: split, type } = splitFieldType(raw);
    const name = split === "timestamp" ? "ts" : split;
    if (seen.has(name)) continue;
    seen.add(name);
    if ((BASE_COLUMNS as readonly string[]).includes(name) && type === undefined) {
      out.push({ kind: "base", name: name as BaseColumn });
    } else if (/^[A-Za-z_][\w.@:-]{0,127}$/.test(name) && !(BASE_COLUMNS as readonly string[]).includes(name)) {
      out.push(type ? { kind: "field", name, type } : { kind: "field", name });
    } else {
      throw new ExportError(
        "invalid",
        "bad-column",
        "Invalid column",
        `columns names "${raw.slice(0, 80)}", which is neither a column (${BASE_COLUMNS.join(", ")}, timestamp) nor a field name`,
        'Field names are letters, digits, _ . @ : - (up to 128), starting with a letter or _, optionally typed: e.g. columns=["ts","service","message","duration_ms:number"].',
        [{ field: "columns", message: `bad name: ${raw.slice(0, 80)}` }],
      );
    }
  }
  return out;
}

/** RFC3339 in UTC with all nine digits of the nanoseconds. */
export function rfc3339Nano(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, "0");
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${fraction}Z`;
}

/** A field's value for an export cell: scalars as they are, anything else as JSON text. */
function cell(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v.toString();
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** One entry as an export row: fields are read from the parsed line, then structured metadata, then labels. */
export function toRow(
  entry: LogEntry,
  parsed: ParsedLine,
  catalog: ServiceCatalog,
  fields: readonly string[],
): ExportRow {
  const values: ExportRow["fields"] = {};
  for (const name of fields) {
    values[name] = cell(parsed.fields[name] ?? entry.metadata[name] ?? entry.parsed[name] ?? entry.labels[name]);
  }
  return {
    ts: rfc3339Nano(entry.ts),
    ts_ns: entry.ts.toString(),
    service: serviceOf(entry, catalog),
    level: parsed.level,
    labels: entry.labels,
    message: parsed.message,
    line: entry.line,
    fields: values,
  };
}
