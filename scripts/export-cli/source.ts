import { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfig } from "../../src/config.ts";
import { buildDeps, closeDeps } from "../../src/deps.ts";
import { EXPORT_PATH } from "../../src/export/routes.ts";
import type { ExportParams } from "../../src/export/schemas.ts";
import { exportContext, startExport } from "../../src/export/service.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { createLogger, type LogLevel } from "../../src/log.ts";
import { isoFromNs } from "../../src/loki/time.ts";

/**
 * Where the export's bytes come from: POST /export on a running API, or the same service run in this
 * process (buildDeps + startExport, configured by the environment as `npm start` is). Either way the result
 * is the body as a stream and what the API's headers say; a refusal is the API's problem+json.
 */

export interface OpenedExport {
  body: ReadableStream<Uint8Array>;
  estimatedLines: number | undefined;
  estimatedBytes: number | undefined;
  limit: number | undefined;
  /** `start/end`, RFC3339. */
  range: string | undefined;
  /** Releases what the source holds (the in-process deps); after the body is read or cancelled. */
  close(): Promise<void>;
}

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  hint?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The export was refused before its first byte (an HTTP error, a guardrail, an unreachable API or Loki). */
export class ExportRefused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.title);
    this.name = "ExportRefused";
  }
}

export async function openApiExport(
  api: string,
  key: string | undefined,
  body: Record<string, unknown>,
  signal: AbortSignal,
): Promise<OpenedExport> {
  const url = new URL(EXPORT_PATH, api.endsWith("/") ? api : `${api}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new ExportRefused({
      status: 0,
      title: "API unreachable",
      detail: `POST ${url} failed: ${cause}`,
      hint: "Check --api (e.g. http://127.0.0.1:8080) and that the API is running.",
    });
  }
  if (!res.ok || !res.body) throw new ExportRefused(await problemOf(res));
  const header = (name: string) => res.headers.get(name) ?? undefined;
  return {
    body: res.body,
    estimatedLines: numberOf(header("x-logsleuth-estimated-lines")),
    estimatedBytes: numberOf(header("x-logsleuth-estimated-bytes")),
    limit: numberOf(header("x-logsleuth-limit")),
    range: header("x-logsleuth-range"),
    close: async () => {},
  };
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => "");
  try {
    const p = JSON.parse(text) as Partial<Problem>;
    if (typeof p.title === "string") return { ...p, status: res.status, title: p.title };
  } catch {
    // not problem+json: the status and the start of the text below
  }
  return { status: res.status, title: `HTTP ${res.status} ${res.statusText}`, detail: text.slice(0, 500) || undefined };
}

const numberOf = (text: string | undefined) => (text === undefined || text === "" ? undefined : Number(text));

/** The export in this process: the same service the API runs, with the environment's configuration. */
export async function openLocalExport(params: ExportParams, signal: AbortSignal): Promise<OpenedExport> {
  const config = loadConfig();
  // The API's logs (start-up warnings about auth and cursor keys included) would only interleave with the
  // progress: errors only, unless LOG_LEVEL is set.
  const level: LogLevel = process.env.LOG_LEVEL ? config.LOG_LEVEL : "error";
  const logger = createLogger(level);
  const deps = buildDeps(config, logger);
  const ctx = exportContext(deps, deps.config.LOKI_TENANT, signal);
  try {
    const started = await startExport(ctx, params);
    const { start, end } = started.plan.range;
    return {
      body: started.body,
      estimatedLines: started.estimatedLines,
      estimatedBytes: started.plan.bytesEstimated,
      limit: started.limit,
      range: `${isoFromNs(start)}/${isoFromNs(end)}`,
      close: () => closeDeps(deps),
    };
  } catch (err) {
    await closeDeps(deps);
    throw new ExportRefused(await localProblem(err));
  }
}

/** A thrown error as the API would answer it: its own error handler, on a one-route app. */
async function localProblem(err: unknown): Promise<Problem> {
  const app = new OpenAPIHono();
  app.onError(errorHandler(createLogger("error")));
  app.get("/", () => {
    throw err;
  });
  const problem = await problemOf(await app.request("/"));
  // Not one of the API's errors: in this process the real message is the useful one.
  return problem.status === 500 ? { ...problem, detail: (err as Error)?.message ?? String(err) } : problem;
}
