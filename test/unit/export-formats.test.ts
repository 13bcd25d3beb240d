import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitFieldType } from "../../src/export/field-types.ts";
import { csvField } from "../../src/export/formats/csv.ts";
import { createWriter } from "../../src/export/formats/index.ts";
import { fieldValue } from "../../src/export/formats/values.ts";
import { BASE_COLUMNS, type Column, type ExportFailure, type ExportRow } from "../../src/export/types.ts";
import { exportRow, type Query, runWriter, withDuckParquet } from "./helpers/export.ts";

const BASE: Column[] = BASE_COLUMNS.map((name) => ({ kind: "base", name }));
const FIELDS: Column[] = [
  { kind: "field", name: "user" },
  { kind: "field", name: "duration_ms", type: "number" },
  { kind: "field", name: "cached", type: "boolean" },
  { kind: "field", name: "absent" },
];
const ALL = [...BASE, ...FIELDS];
const FAILURE: ExportFailure = { code: "loki_unavailable", message: "Loki answered 503, twice", rows: 3 };

/** Hostile text for every string column: separators, quotes, line breaks, unicode. */
const TRICKY = ["a,b", 'say "hi"', "two\nlines", "crlf\r\nend", "ünï 😀 日本", "  padded  ", ""];
const trickyRows = (): ExportRow[] =>
  TRICKY.map((text, i) =>
    exportRow(i, { message: text, line: `raw ${text}`, labels: { app: text, env: "prod" }, fields: { user: text } }),
  );

/** What a row must read back as, written out independently of the writers. */
function expected(row: ExportRow, over: Record<string, unknown> = {}) {
  const { ts, ts_ns, service, level, labels, message, line } = row;
  const duration = row.fields["duration_ms"];
  const cached = row.fields["cached"];
  return {
    ts,
    ts_ns,
    service,
    level,
    labels,
    message,
    line,
    user: row.fields["user"] ?? null,
    duration_ms: duration === undefined || duration === null ? null : Number(duration),
    cached: cached === undefined || cached === null ? null : cached === "true",
    absent: null,
    ...over,
  };
}

describe("ndjson", () => {
  it("writes one object per line with the columns in order, and reads back", () => {
    const rows = [...trickyRows(), exportRow(9, { fields: { duration_ms: "12ms" } })];
    const { bytes, calls } = runWriter(createWriter("ndjson", ALL), [rows.slice(0, 3), rows.slice(3)]);
    const lines = bytes.toString("utf8").split("\n");
    expect(lines.pop()).toBe("");
    const objects = lines.map((l) => JSON.parse(l));
    const unreadable = { duration_ms: null };
    expect(objects).toEqual(rows.map((r, i) => expected(r, i === rows.length - 1 ? unreadable : {})));
    expect(Object.keys(objects[0])).toEqual(ALL.map((c) => c.name));
    expect(calls[1]!.length).toBeGreaterThan(0); // each batch is written as it comes
  });

  it("ends a failed export with an error record", () => {
    const { bytes } = runWriter(createWriter("ndjson", BASE), [[exportRow(1), exportRow(2)]], FAILURE);
    const lines = bytes
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual({ error: FAILURE });
  });
});

describe("json", () => {
  it("streams one array that parses back", () => {
    const rows = trickyRows();
    const { bytes } = runWriter(createWriter("json", ALL), [rows.slice(0, 2), [], rows.slice(2)]);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual(rows.map((r) => expected(r)));
    expect(bytes.toString("utf8")).toMatch(/^\[\{.*\},\n\{/);
  });

  it("is an empty array when there are no rows", () => {
    expect(JSON.parse(runWriter(createWriter("json", BASE), []).bytes.toString("utf8"))).toEqual([]);
  });

  it("makes the error record the last element of a failed export", () => {
    const one = JSON.parse(runWriter(createWriter("json", BASE), [[exportRow(1)]], FAILURE).bytes.toString("utf8"));
    expect(one).toHaveLength(2);
    expect(one[1]).toEqual({ error: FAILURE });
    const none = JSON.parse(runWriter(createWriter("json", BASE), [], FAILURE).bytes.toString("utf8"));
    expect(none).toEqual([{ error: FAILURE }]);
  });
});

const readCsv = (bytes: Buffer): string[][] =>
  parse(bytes.toString("utf8"), { relax_column_count: true, record_delimiter: "\r\n" });

describe("csv", () => {
  it("writes RFC 4180 with a header and reads back with csv-parse", () => {
    const rows = trickyRows();
    const { bytes } = runWriter(createWriter("csv", ALL), [rows.slice(0, 4), rows.slice(4)]);
    expect(bytes.toString("utf8").startsWith(`${ALL.map((c) => c.name).join(",")}\r\n`)).toBe(true);
    const [header, ...records] = readCsv(bytes);
    expect(header).toEqual(ALL.map((c) => c.name));
    const asText = (v: unknown) => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
    expect(records).toEqual(rows.map((r) => Object.values(expected(r)).map(asText)));
    expect(JSON.parse(records[2]![4]!)).toEqual({ app: "two\nlines", env: "prod" });
  });

  it("keeps a multi-line message (bare LF, bare CR, CRLF) one field of one row", () => {
    const w = createWriter("csv", [
      { kind: "base", name: "ts_ns" },
      { kind: "base", name: "message" },
    ]);
    const messages = ["Traceback:\n  at x\n  at y", "a\rb", "c\r\nd", 'quote " and, comma'];
    const rows = messages.map((m, i) => exportRow(i, { message: m }));
    const parsed = parse(runWriter(w, [rows]).bytes.toString("utf8")) as string[][];
    expect(parsed.slice(1).map((r) => r[1])).toEqual(messages);
  });

  it("writes what csv-stringify writes (escape_formulas, quoting any line break) on hostile cells", () => {
    const alphabet = ["a", "=", "+", "-", "@", "\t", "\r", "\n", '"', ",", " ", "'", "\uFF1D", "é", "1"];
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...alphabet), { maxLength: 8 }), { minLength: 1, maxLength: 5 }),
        (cells) => {
          const texts = cells.map((c) => c.join(""));
          const ours = texts.map(csvField).join(",");
          const theirs = stringify([texts], {
            escape_formulas: true,
            quoted_match: /[\r\n]/,
            record_delimiter: "windows",
          });
          expect(`${ours}\r\n`).toBe(theirs);
        },
      ),
      { numRuns: 2000, seed: 20261129 },
    );
  });

  it("neutralises formula cells in every column and leaves harmless cells alone", () => {
    const formulas = ["=1+1", "+x", "-2", "@SUM(1)", "\tx", "\rx", "＝1+1"];
    const harmless = ["a=1", "1-2", "hello", "x@y", "'quoted", "#tag"];
    const rows = [...formulas, ...harmless].map((text, i) =>
      exportRow(i, { service: text, message: text, line: text, labels: { x: text }, fields: { user: text } }),
    );
    const cols: Column[] = [...BASE, { kind: "field", name: "user" }, { kind: "field", name: "n", type: "number" }];
    rows.push(exportRow(99, { fields: { n: -2 } }));
    const [, ...records] = readCsv(runWriter(createWriter("csv", cols), [rows]).bytes);
    for (const [i, text] of formulas.entries()) {
      const r = records[i]!;
      for (const at of [2, 5, 6, 7]) expect(r[at]).toBe(`'${text}`);
      expect(JSON.parse(r[4]!)).toEqual({ x: text }); // labels JSON starts with "{": nothing to neutralise
    }
    for (const [i, text] of harmless.entries()) {
      for (const at of [2, 5, 6, 7]) expect(records[formulas.length + i]![at]).toBe(text);
    }
    expect(records.at(-1)![8]).toBe("-2"); // a number cannot carry a formula
  });

  it("neutralises a formula in a header name", () => {
    const { bytes } = runWriter(createWriter("csv", [{ kind: "field", name: "=cmd" }]), []);
    expect(readCsv(bytes)).toEqual([["'=cmd"]]);
  });

  it("ends a failed export with an #ERROR row, text in the message column", () => {
    const [, ...records] = readCsv(runWriter(createWriter("csv", BASE), [[exportRow(1)]], FAILURE).bytes);
    expect(records).toHaveLength(2);
    const last = records[1]!;
    expect(last[0]).toBe("#ERROR");
    expect(last[BASE_COLUMNS.indexOf("message")]).toBe("loki_unavailable: Loki answered 503, twice (3 rows written)");
    expect(last).toHaveLength(BASE.length);
  });

  it("puts the failure text in the second cell without a message column", () => {
    const cols: Column[] = [{ kind: "base", name: "ts" }];
    const records = readCsv(runWriter(createWriter("csv", cols), [], { ...FAILURE, code: "-x", rows: 0 }).bytes);
    expect(records.at(-1)).toEqual(["#ERROR", "'-x: Loki answered 503, twice (0 rows written)"]);
  });
});

const parquet = (rows: number) => createWriter("parquet", ALL, { rowGroup: { rows, bytes: 1e9 } });
const describeTypes = async (q: Query, f: string) =>
  Object.fromEntries(
    (await q(`DESCRIBE SELECT * FROM read_parquet(${f})`)).map((r) => [r["column_name"], r["column_type"]]),
  );
const kv = async (q: Query, f: string) =>
  Object.fromEntries(
    (await q(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${f})`)).map((r) => [
      r["k"],
      r["v"],
    ]),
  );
const groupSizes = async (q: Query, f: string) =>
  (
    await q(`SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata(${f}) GROUP BY 1 ORDER BY 1`)
  ).map((r) => Number(r["n"]));

describe("parquet", () => {
  it("is read back by DuckDB with typed columns, every row, across row groups", async () => {
    const rows = [...trickyRows(), ...Array.from({ length: 18 }, (_, i) => exportRow(i + 10))];
    rows.push(exportRow(40, { fields: { duration_ms: "12ms", cached: "maybe", user: null } }));
    const unreadable = { duration_ms: null, cached: null };
    const { bytes } = runWriter(parquet(7), [rows.slice(0, 10), rows.slice(10, 11), rows.slice(11)]);
    await withDuckParquet(bytes, async (q, f) => {
      expect(await describeTypes(q, f)).toEqual({
        ts: "TIMESTAMP WITH TIME ZONE", // TIMESTAMP(NANOS, UTC); DuckDB's TIMESTAMPTZ keeps microseconds
        ts_ns: "BIGINT",
        service: "VARCHAR",
        level: "VARCHAR",
        labels: "JSON",
        message: "VARCHAR",
        line: "VARCHAR",
        user: "VARCHAR",
        duration_ms: "DOUBLE",
        cached: "BOOLEAN",
        absent: "VARCHAR",
      });
      expect(await groupSizes(q, f)).toEqual([7, 7, 7, 5]);
      const back = await q(
        `SELECT * EXCLUDE (ts, ts_ns), ts_ns::VARCHAR AS ts_ns, epoch_us(ts) AS us FROM read_parquet(${f}) ORDER BY ts_ns`,
      );
      expect(
        back.map((r) => ({ ...r, labels: JSON.parse(r["labels"] as string), us: BigInt(r["us"] as bigint) })),
      ).toEqual(
        rows.map((r, i) => {
          const { ts: _ts, ...rest } = expected(r, i === rows.length - 1 ? unreadable : {});
          return { ...rest, us: BigInt(r.ts_ns) / 1000n };
        }),
      );
      expect(await kv(q, f)).toEqual({ "logsleuth.complete": "true", "logsleuth.rows": String(rows.length) });
    });
  });

  it("hands back bytes only when a row group is complete", () => {
    const writer = parquet(4);
    const begin = Buffer.concat(writer.begin());
    expect(begin.toString("latin1")).toBe("PAR1");
    expect(writer.write([exportRow(1), exportRow(2), exportRow(3)])).toEqual([]);
    const group = writer.write([exportRow(4), exportRow(5)]);
    expect(group).toHaveLength(1);
    expect(writer.write([exportRow(6)])).toEqual([]);
    const end = Buffer.concat(writer.end());
    expect(end.subarray(-4).toString("latin1")).toBe("PAR1");
    expect(end.length).toBeGreaterThan(0);
  });

  it("closes a row group by size as well as by rows", async () => {
    const writer = createWriter("parquet", BASE, { rowGroup: { rows: 1_000_000, bytes: 4_000 } });
    const rows = Array.from({ length: 200 }, (_, i) => exportRow(i));
    const { bytes } = runWriter(writer, [rows.slice(0, 120), rows.slice(120)]);
    await withDuckParquet(bytes, async (q, f) => {
      const sizes = await groupSizes(q, f);
      expect(sizes.length).toBeGreaterThan(3);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(200);
      expect(Math.max(...sizes)).toBeLessThan(60);
    });
  });

  it("groups 10,000 rows by default", async () => {
    const rows = Array.from({ length: 20_001 }, (_, i) => exportRow(i));
    const { bytes } = runWriter(createWriter("parquet", BASE), [rows.slice(0, 5_000), rows.slice(5_000)]);
    await withDuckParquet(bytes, async (q, f) => {
      expect(await groupSizes(q, f)).toEqual([10_000, 10_000, 1]);
      const [count] = await q(`SELECT count(DISTINCT ts_ns) AS n FROM read_parquet(${f})`);
      expect(Number(count!["n"])).toBe(20_001);
    });
  });

  it("writes a valid footer that says a failed export is incomplete", async () => {
    const rows = Array.from({ length: 9 }, (_, i) => exportRow(i));
    const { bytes } = runWriter(parquet(4), [rows], { ...FAILURE, rows: 9 });
    await withDuckParquet(bytes, async (q, f) => {
      expect(await kv(q, f)).toEqual({
        "logsleuth.complete": "false",
        "logsleuth.rows": "9",
        "logsleuth.error": "loki_unavailable: Loki answered 503, twice (9 rows written)",
      });
      const [count] = await q(`SELECT count(*) AS n FROM read_parquet(${f})`);
      expect(Number(count!["n"])).toBe(9);
    });
  });

  it("writes a valid empty file", async () => {
    const { bytes } = runWriter(createWriter("parquet", BASE), [[]]);
    await withDuckParquet(bytes, async (q, f) => {
      expect(await q(`SELECT count(*)::INTEGER AS n FROM read_parquet(${f})`)).toEqual([{ n: 0 }]);
      expect((await kv(q, f))["logsleuth.complete"]).toBe("true");
    });
  });
});

describe("typed fields", () => {
  it("reads values as the column's type, null when they cannot be", () => {
    expect(
      ["12", " -3.5 ", "1e3", ".5", "12ms", "", "NaN", "0x10", "Infinity"].map((v) => fieldValue(v, "number")),
    ).toEqual([12, -3.5, 1000, 0.5, null, null, null, null, null]);
    expect([7, true, null, undefined].map((v) => fieldValue(v, "number"))).toEqual([7, null, null, null]);
    expect(["true", "FALSE", "yes", true, 1].map((v) => fieldValue(v, "boolean"))).toEqual([
      true,
      false,
      null,
      true,
      null,
    ]);
    expect([42, false, "x"].map((v) => fieldValue(v, "string"))).toEqual(["42", "false", "x"]);
    expect([42, false, "x", undefined].map((v) => fieldValue(v, undefined))).toEqual([42, false, "x", null]);
  });
});

describe("splitFieldType", () => {
  it("reads a type suffix and leaves other colons in the name", () => {
    expect(
      ["duration_ms:number", "ok:boolean", "x:string", "user:id", "plain", "a:b:number", ":number"].map(splitFieldType),
    ).toEqual([
      { name: "duration_ms", type: "number" },
      { name: "ok", type: "boolean" },
      { name: "x", type: "string" },
      { name: "user:id" },
      { name: "plain" },
      { name: "a:b", type: "number" },
      { name: "", type: "number" },
    ]);
  });
});

describe("createWriter", () => {
  it("refuses no columns and columns sharing a name", () => {
    expect(() => createWriter("csv", [])).toThrow(/at least one column/);
    expect(() => createWriter("json", [BASE[0]!, { kind: "field", name: "ts" }])).toThrow(/distinct/);
  });
});
