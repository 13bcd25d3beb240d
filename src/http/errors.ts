import type { Context, Env, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { DomainError, type ErrorKind } from "../errors.ts";
import type { Logger } from "../log.ts";
import { LogqlError } from "../logql/errors.ts";
import { LokiError } from "../loki/errors.ts";
import { ApiError, PROBLEM_CONTENT_TYPE, type Problem, problemType } from "./problem.ts";

/** Renders a problem+json response. */
export function problem(c: Context, p: Omit<Problem, "instance" | "request_id">, headers: Record<string, string> = {}) {
  const requestId = c.get("requestId" as never) as string | undefined;
  const body: Problem = { ...p, instance: c.req.path, ...(requestId ? { request_id: requestId } : {}) };
  return c.body(JSON.stringify(body), p.status as 400, { ...headers, "Content-Type": PROBLEM_CONTENT_TYPE });
}

const LOKI_HINTS: Record<LokiError["kind"], string> = {
  parse: "Fix the LogQL syntax (Loki's message above says where), or use a mode and filters instead of raw logql.",
  limit: "Narrow the query: shorten the time range, add a service or a line filter, or lower the limit.",
  bad_request: "Check the query parameters against /api/v1/openapi.json; Loki's message says what it refused.",
  timeout: "Retry with a shorter time range or a more selective query (add a service, level or contains filter).",
  unavailable: "Loki is not reachable right now; retry in a few seconds and check GET /api/v1/ai_logs/health.",
  upstream: "Loki failed on this request; retry, and if it persists check GET /api/v1/ai_logs/health.",
};

/** The HTTP status of each kind of domain error (the one place that knows it). */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  refused: 422,
  not_found: 404,
  unavailable: 503,
  timeout: 504,
};

/** Maps any thrown error to problem+json: DomainError, ApiError, LokiError, HTTPException, or 500. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof DomainError) {
      const status = STATUS_OF_KIND[err.kind];
      return problem(
        c,
        {
          type: problemType(err.code),
          title: err.title,
          status,
          detail: err.detail,
          hint: err.hint,
          ...(err.fields.length ? { errors: err.fields } : {}),
        },
        status === 503 ? { "Retry-After": "5" } : {},
      );
    }
    if (err instanceof ApiError) {
      return problem(
        c,
        {
          type: problemType(err.slug),
          title: err.title,
          status: err.status,
          detail: err.detail,
          hint: err.hint,
          ...(err.extra.errors ? { errors: err.extra.errors } : {}),
        },
        err.extra.headers,
      );
    }
    if (err instanceof LogqlError) {
      return problem(c, {
        type: problemType(`logql-${err.code.replaceAll("_", "-")}`),
        title: err.code === "scope_violation" ? "Query outside your scope" : "Invalid query",
        status: 400,
        detail: `${err.field}: ${err.message}${err.position !== undefined ? ` (at character ${err.position})` : ""}`,
        hint: err.hint,
        errors: [{ field: err.field, message: err.message }],
      });
    }
    if (err instanceof LokiError) {
      logger.warn("loki call failed", { kind: err.kind, path: err.details.path, message: err.message });
      const headers: Record<string, string> = err.status === 503 ? { "Retry-After": "5" } : {};
      return problem(
        c,
        {
          type: problemType(`loki-${err.kind.replace("_", "-")}`),
          title: lokiTitle(err),
          status: err.status,
          detail: err.message,
          hint: LOKI_HINTS[err.kind],
        },
        headers,
      );
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      return problem(c, {
        type: problemType(status === 504 ? "timeout" : "http-error"),
        title: status === 504 ? "Request timed out" : "Request failed",
        status,
        detail: err.message || `HTTP ${status}`,
        hint:
          status === 504
            ? "The request took longer than the server's REQUEST_TIMEOUT_MS; narrow the time range or add filters."
            : "Check the request against /api/v1/openapi.json.",
      });
    }
    logger.error("unhandled error", { err, path: c.req.path });
    return problem(c, {
      type: problemType("internal"),
      title: "Internal server error",
      status: 500,
      detail: "The server failed to handle this request; it has been logged.",
      hint: "Retry once; if it fails again, report the request_id.",
    });
  };
}

function lokiTitle(err: LokiError): string {
  switch (err.kind) {
    case "parse":
      return "Invalid LogQL";
    case "limit":
      return `Loki limit exceeded${err.details.limit ? `: ${err.details.limit}` : ""}`;
    case "timeout":
      return "Loki timed out";
    case "unavailable":
      return "Loki unavailable";
    case "bad_request":
      return "Loki refused the request";
    default:
      return "Loki failed";
  }
}

/** zod-openapi validation hook: every invalid request → 400 problem+json naming each field. */
export function validationHook(result: { success: boolean; error?: ZodError; target?: string }, c: Context) {
  if (result.success || !result.error) return;
  const errors = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join(".") : (result.target ?? "request"),
    message: i.message,
  }));
  return problem(c, {
    type: problemType("validation"),
    title: "Invalid request",
    status: 400,
    detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "),
    hint: "Change the fields named in `errors`; /api/v1/openapi.json lists every parameter and its format.",
    errors,
  });
}

/** 404 for unknown paths, 405 (with Allow) for a known path and a wrong method. */
export function notFoundHandler<E extends Env>(app: Hono<E>) {
  return (c: Context) => {
    const path = c.req.path;
    const allowed = new Set<string>();
    for (const route of app.routes) {
      if (route.method === "ALL") continue;
      if (pathMatches(route.path, path)) allowed.add(route.method);
    }
    if (allowed.size > 0) {
      if (allowed.has("GET")) allowed.add("HEAD");
      const allow = [...allowed].sort().join(", ");
      return problem(
        c,
        {
          type: problemType("method-not-allowed"),
          title: "Method not allowed",
          status: 405,
          detail: `${c.req.method} is not supported on ${path}`,
          hint: `Use one of: ${allow}.`,
        },
        { Allow: allow },
      );
    }
    return problem(c, {
      type: problemType("not-found"),
      title: "Not found",
      status: 404,
      detail: `No endpoint at ${path}`,
      hint: "Endpoints live under /api/v1/ai_logs; GET /api/v1/openapi.json lists them all.",
    });
  };
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === "*" || pattern === "/*") return false;
  const re = new RegExp(
    `^${pattern
      .split("/")
      .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}/?$`,
  );
  return re.test(path);
}
