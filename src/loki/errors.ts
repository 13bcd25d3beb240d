/**
 * Typed errors for everything that can go wrong talking to Loki. Each keeps
 * Loki's own text and knows the HTTP status the API should answer with.
 */
export type LokiErrorKind =
  | "parse" // LogQL syntax error → 400
  | "limit" // a Loki limit was hit → 422 (the limit is named)
  | "bad_request" // any other 4xx from Loki → 400
  | "timeout" // our deadline or Loki's → 504
  | "unavailable" // Loki unreachable, not ready or overloaded → 503
  | "upstream"; // Loki failed with 5xx or answered something we could not read → 502

const STATUS: Record<LokiErrorKind, number> = {
  parse: 400,
  limit: 422,
  bad_request: 400,
  timeout: 504,
  unavailable: 503,
  upstream: 502,
};

export class LokiError extends Error {
  readonly status: number;
  constructor(
    readonly kind: LokiErrorKind,
    message: string,
    readonly details: {
      /** Loki's own text, kept verbatim. */
      lokiMessage?: string;
      /** HTTP status Loki answered with, if it answered. */
      lokiStatus?: number;
      /** The Loki path called. */
      path?: string;
      /** For kind "limit": which limit. */
      limit?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "LokiError";
    this.status = STATUS[kind];
  }
}

/** Known Loki limit messages → a short name of the limit. */
const LIMITS: Array<[RegExp, string]> = [
  [/max entries limit/i, "max_entries_limit_per_query"],
  [/query time range exceeds the limit|query length/i, "max_query_length"],
  [/maximum number of series|max(imum)? (query )?series/i, "max_query_series"],
  [/max(imum)? query lookback|too far behind|query lookback/i, "max_query_lookback"],
  [/step .* too small|exceeded maximum resolution/i, "max_query_resolution"],
  [/bytes? .*(limit|exceed)|exceeds? .*bytes/i, "max_query_bytes_read"],
  [/too many (outstanding )?requests/i, "max_outstanding_per_tenant"],
  [/rate limit|ingestion rate/i, "ingestion_rate"],
  [/line too long|max_line_size/i, "max_line_size"],
  [/limit/i, "limit"],
];

/** Maps a non-2xx answer from Loki to a typed error. */
export function errorFromResponse(path: string, status: number, body: string): LokiError {
  const text = body.trim().slice(0, 2000);
  const base = { lokiMessage: text, lokiStatus: status, path };
  if (status === 429) {
    return new LokiError("unavailable", `Loki is overloaded (429): ${text}`, {
      ...base,
      limit: LIMITS.find(([re]) => re.test(text))?.[1] ?? "rate",
    });
  }
  if (status === 504 || /context deadline exceeded|timeout exceeded|query timed out/i.test(text)) {
    return new LokiError("timeout", `Loki timed out: ${text}`, base);
  }
  if (status === 502 || status === 503) {
    return new LokiError("unavailable", `Loki is unavailable (${status}): ${text}`, base);
  }
  if (status >= 400 && status < 500) {
    if (/parse error|syntax error|unexpected|invalid (char|logql|query)/i.test(text)) {
      return new LokiError("parse", `LogQL parse error: ${text}`, base);
    }
    const limit = LIMITS.find(([re]) => re.test(text));
    if (limit) return new LokiError("limit", `Loki limit ${limit[1]} hit: ${text}`, { ...base, limit: limit[1] });
    if (status === 401 && /no org id/i.test(text)) {
      return new LokiError(
        "unavailable",
        "Loki requires a tenant (auth_enabled): set LOKI_TENANT or use API keys",
        base,
      );
    }
    return new LokiError("bad_request", `Loki refused the request (${status}): ${text}`, base);
  }
  return new LokiError("upstream", `Loki failed (${status}): ${text}`, base);
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Maps a transport failure (no HTTP answer) to a typed error. */
export function errorFromTransport(path: string, err: unknown, timedOut: boolean, timeoutMs: number): LokiError {
  if (err instanceof LokiError) return err;
  if (timedOut) {
    return new LokiError("timeout", `Loki did not answer ${path} within ${timeoutMs} ms`, { path, cause: err });
  }
  const code = findCode(err);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new LokiError("timeout", `Loki did not answer ${path} in time (${code})`, { path, cause: err });
  }
  if (code && UNREACHABLE.has(code)) {
    return new LokiError("unavailable", `Loki is unreachable (${code}) calling ${path}`, { path, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LokiError("unavailable", `Calling Loki ${path} failed: ${message}`, { path, cause: err });
}

function findCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
