// npm run bench [-- FILTER...]
// Runs every scripts/bench/*.bench.ts (or those whose name contains a FILTER), prints what each
// measured as a ratio against its anchor measured in the same run, with the target and whether it
// is met, and writes all reports as JSON (BENCH_OUT, default <tmpdir>/logsleuth-bench-results.json).
// A missed target is reported as MISSED and does not fail the run; a benchmark that cannot run does.

import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchModule, BenchReport, Measurement, Table } from "./types.ts";
import { met } from "./types.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

function renderTable(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    `  ${table.title}`,
    `    ${line(table.columns)}`,
    `    ${line(widths.map((w) => "-".repeat(w)))}`,
    ...table.rows.map((r) => `    ${line(r)}`),
  ].join("\n");
}

function value(m: Measurement, n: number): string {
  const digits = m.digits ?? 3;
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function render(report: BenchReport): string {
  const main: Table = {
    title: `${report.oursLabel} vs ${report.anchorLabel} (anchor), measured in this run`,
    columns: ["measure", report.oursLabel, report.anchorLabel, "ratio", "target", "status"],
    rows: report.measurements.map((m) => {
      const ok = met(m);
      return [
        m.label,
        value(m, m.ours),
        value(m, m.anchor),
        `${m.ratio.toFixed(2)}×`,
        m.target === null ? "—" : `${m.better === "lower" ? "≤" : "≥"} ${m.target.toFixed(2)}×`,
        ok === null ? "side by side" : ok ? "met" : "MISSED",
      ];
    }),
  };
  return [
    `\n== ${report.name}: ${report.description}`,
    renderTable(main),
    ...report.tables.map(renderTable),
    ...report.notes.map((n) => `  note: ${n}`),
  ].join("\n\n");
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((a) => a !== "--");
  const files = (await readdir(benchDir)).filter((f) => f.endsWith(".bench.ts")).sort();
  const chosen = files.filter(
    (f) => filters.length === 0 || filters.some((flt) => f.toLowerCase().includes(flt.toLowerCase())),
  );
  if (chosen.length === 0) {
    console.error(`bench: no benchmark matches ${filters.join(" ")} (have: ${files.join(", ")})`);
    process.exit(2);
  }

  const machine = () =>
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`;
  const machineBefore = machine();
  console.log(`machine: ${machineBefore}`);
  const reports: BenchReport[] = [];
  const failures: Array<{ name: string; error: string }> = [];
  for (const file of chosen) {
    const mod = (await import(pathToFileURL(path.join(benchDir, file)).href)) as BenchModule;
    const log = (message: string) => console.error(`[bench ${mod.name}] ${message}`);
    log("starting");
    const start = Date.now();
    try {
      const report = await mod.run(log);
      log(`done in ${((Date.now() - start) / 1000).toFixed(1)}s`);
      console.log(render(report));
      reports.push(report);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.log(`\n== ${mod.name}: FAILED to run: ${message}`);
      failures.push({ name: mod.name, error: message });
    }
  }

  const summary = reports.flatMap((r) =>
    r.measurements.filter((m) => m.target !== null).map((m) => ({ bench: r.name, label: m.label, ok: met(m) })),
  );
  const missed = summary.filter((s) => s.ok === false);
  const out = process.env["BENCH_OUT"] || path.join(os.tmpdir(), "logsleuth-bench-results.json");
  const json = {
    date: new Date().toISOString(),
    platform: `${os.platform()} ${os.arch()}`,
    machineBefore,
    machineAfter: machine(),
    reports: reports.map((r) => ({ ...r, measurements: r.measurements.map((m) => ({ ...m, met: met(m) })) })),
    failures,
  };
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(
    `\n${summary.length - missed.length}/${summary.length} targets met${
      missed.length > 0 ? `; MISSED: ${missed.map((m) => `${m.bench} ${m.label}`).join("; ")}` : ""
    }${failures.length > 0 ? `; ${failures.length} benchmark(s) failed to run` : ""}`,
  );
  console.log(`JSON report: ${out}`);
  if (failures.length > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
