// npm run export -- --out FILE [--service S] [--since 1h | --start T --end T] [--format F] [--gzip] [--api URL]
//
// Writes an export (POST /api/v1/ai_logs/export) to FILE (- = stdout) with a progress bar on stderr and a
// final count line; exit 0 only when the export is known complete. With --api it POSTs to a running API
// (key: --key or LOGSLEUTH_API_KEY); without, it runs the same service in this process, configured by the
// environment as `npm start` is (LOKI_URL, LOKI_TENANT, EXPORT_MAX_BYTES, …). `--help` for every option.

import { resolve } from "node:path";
import { ConfigError } from "../src/config.ts";
import { type CliOptions, parseCli, USAGE, UsageError } from "./export-cli/args.ts";
import { Progress } from "./export-cli/progress.ts";
import { ExportRefused, type OpenedExport, openApiExport, openLocalExport, type Problem } from "./export-cli/source.ts";
import { type Outcome, writeExport } from "./export-cli/write.ts";

const started = Date.now();
const say = (text: string) => process.stderr.write(`export: ${text}\n`);

function exit(code: number, message?: string): never {
  if (message) process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let cli: CliOptions | undefined;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      exit(2, `export: ${err.message}\n${err.showUsage ? USAGE : "(npm run export -- --help lists the options)"}`);
    }
    throw err;
  }
  if (!cli) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // npm runs scripts from the package root; a relative --out is where the user typed the command.
  const out = cli.out === "-" ? "-" : resolve(process.env.INIT_CWD ?? process.cwd(), cli.out);

  const interrupt = new AbortController();
  process.once("SIGINT", () => interrupt.abort());
  process.once("SIGTERM", () => interrupt.abort());

  let opened: OpenedExport;
  try {
    opened = cli.api
      ? await openApiExport(cli.api, cli.key, cli.body, interrupt.signal)
      : await openLocalExport(cli.params, interrupt.signal);
  } catch (err) {
    if (err instanceof ExportRefused) exit(err.problem.status === 400 ? 2 : 1, refusalText(err.problem));
    if (err instanceof ConfigError) exit(2, `export: ${err.message}`);
    throw err;
  }
  say(startText(opened, cli, out));
  const progress = new Progress({ write: (s) => process.stderr.write(s), tty: process.stderr.isTTY === true });
  let outcome: Outcome;
  try {
    outcome = await writeExport(opened, {
      out,
      format: cli.params.format,
      gzip: cli.params.compression === "gzip",
      progress,
      signal: interrupt.signal,
    });
  } finally {
    progress.clear();
    await opened.close().catch(() => {});
  }
  if (outcome.ok) {
    const seconds = (Date.now() - started) / 1000;
    exit(
      0,
      `export: ${outcome.rows} lines, ${outcome.bytes} bytes written to ${outcome.path} in ${seconds.toFixed(1)} s`,
    );
  }
  const kept = outcome.kept ? `; the partial output is kept in ${outcome.kept}` : "";
  exit(
    outcome.kind === "interrupted" ? 130 : 1,
    `export: FAILED (${outcome.kind}) after ${outcome.rows} lines, ${outcome.bytes} bytes: ${outcome.message}${kept}`,
  );
}

function startText(o: OpenedExport, cli: CliOptions, out: string): string {
  const parts = [
    `${cli.params.format}${cli.params.compression === "gzip" ? ".gz" : ""} → ${out === "-" ? "stdout" : out}`,
  ];
  if (o.range) parts.push(`range ${o.range}`);
  if (o.estimatedLines !== undefined) parts.push(`≤ ${o.estimatedLines} lines estimated`);
  if (o.limit !== undefined) parts.push(`limit ${o.limit}`);
  parts.push(cli.api ? `via ${cli.api}` : "in process");
  return parts.join(", ");
}

/** A refusal as the API words it: status and title, then the detail, each field, and the hint. */
export function refusalText(p: Problem): string {
  const lines = [`export: refused${p.status ? ` (${p.status})` : ""}: ${p.title}`];
  if (p.detail) lines.push(`  ${p.detail}`);
  for (const e of p.errors ?? []) lines.push(`  - ${e.field}: ${e.message}`);
  if (p.hint) lines.push(`  hint: ${p.hint}`);
  return lines.join("\n");
}

main().catch((err: unknown) => {
  exit(1, `export: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
});
