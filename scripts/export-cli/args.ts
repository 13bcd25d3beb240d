import { parseArgs } from "node:util";
import { type ExportParams, exportBodySchema } from "../../src/export/schemas.ts";
import { FORMATS } from "../../src/export/types.ts";

export const USAGE = `usage: npm run export -- --out FILE [query options] [--format F] [--columns a,b] [--gzip] [--limit N]
                         [--api URL [--key KEY]]

Writes every line a /query-style request selects to FILE (- = stdout), with progress on stderr.

  --out FILE            required; the file is written as FILE.partial and renamed to FILE once the export
                        is known complete; on failure FILE.partial is kept (and said so), FILE is never touched
  --format F            ${FORMATS.join(", ")} (default: from FILE's extension, .jsonl = ndjson, else ndjson)
  --columns a,b,...     ts, ts_ns, service, level, labels, message, line, timestamp, and parsed fields by name,
                        optionally typed: duration_ms:number, cached:boolean
  --gzip                gzip the output (also implied by a FILE ending in .gz)
  --limit N             stop after N lines
  query (as /query):    --service S (repeatable or a,b) --mode M --logql Q --level L (repeatable or a,b)
                        --contains T (repeatable) --regex R --trace-id ID --conversation-id ID
                        --workspace-id ID --since 15m | --start T --end T
  --api URL             POST to a running API (e.g. http://127.0.0.1:8080) with --key or LOGSLEUTH_API_KEY;
                        without it the export runs in this process against LOKI_URL etc. (as npm start)
  --help

Exit: 0 complete; 1 refused or failed (the file is kept as FILE.partial); 2 bad usage; 130 interrupted.`;

export class UsageError extends Error {
  override name = "UsageError";
  /** Whether the usage text helps (a malformed command line) or only the message does (a bad value). */
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

export interface CliOptions {
  out: string;
  /** The JSON body as sent to the API (validated). */
  body: Record<string, unknown>;
  params: ExportParams;
  api: string | undefined;
  key: string | undefined;
}

const OPTIONS = {
  out: { type: "string", short: "o" },
  format: { type: "string" },
  columns: { type: "string", multiple: true },
  gzip: { type: "boolean" },
  limit: { type: "string" },
  service: { type: "string", multiple: true },
  mode: { type: "string" },
  logql: { type: "string" },
  level: { type: "string", multiple: true },
  contains: { type: "string", multiple: true },
  regex: { type: "string" },
  "trace-id": { type: "string" },
  "conversation-id": { type: "string" },
  "workspace-id": { type: "string" },
  since: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  api: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const list = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);

/** The format an output name implies (`x.csv`, `x.csv.gz`), if any. */
export function formatOfName(out: string): { format?: (typeof FORMATS)[number]; gzip: boolean } {
  const gzip = /\.gz$/i.test(out);
  const ext = /\.([a-z]+)$/i.exec(out.replace(/\.gz$/i, ""))?.[1]?.toLowerCase();
  const format = ext === "jsonl" ? "ndjson" : (FORMATS as readonly string[]).includes(ext ?? "") ? ext : undefined;
  return { format: format as (typeof FORMATS)[number] | undefined, gzip };
}

/** `--help` → undefined; bad usage → UsageError naming each problem. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliOptions | undefined {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.out) throw new UsageError("--out FILE is required (- for stdout)");
  const named = formatOfName(values.out === "-" ? "" : values.out);
  const body = withoutUndefined({
    mode: values.mode,
    logql: values.logql,
    service: list(values.service),
    level: list(values.level),
    contains: values.contains,
    regex: values.regex,
    trace_id: values["trace-id"],
    conversation_id: values["conversation-id"],
    workspace_id: values["workspace-id"],
    since: values.since,
    start: values.start,
    end: values.end,
    format: values.format ?? named.format ?? "ndjson",
    columns: list(values.columns),
    compression: values.gzip || named.gzip ? "gzip" : undefined,
    limit: values.limit === undefined ? undefined : limitOf(values.limit),
  });
  const checked = exportBodySchema.safeParse(body);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `  ${optionOf(i.path)}: ${i.message}`);
    throw new UsageError(`invalid export request:\n${problems.join("\n")}`, false);
  }
  if (values.key && !values.api) throw new UsageError("--key is only used with --api");
  return {
    out: values.out,
    body,
    params: checked.data,
    api: values.api,
    key: values.key ?? env.LOGSLEUTH_API_KEY,
  };
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
}

function limitOf(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--limit must be a whole number of lines, got "${text}"`);
  return Number(text);
}

/** The body field's command-line option: trace_id → --trace-id, compression → --gzip. */
function optionOf(path: ReadonlyArray<PropertyKey>): string {
  const field = String(path[0] ?? "request");
  if (field === "compression") return "--gzip";
  const at = path.length > 1 ? ` (value ${Number(path[1]) + 1})` : "";
  return `--${field.replaceAll("_", "-")}${at}`;
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
