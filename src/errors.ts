/**
 * Domain errors: what went wrong, in the terms of the capability that failed.
 * Services and cores throw these (a capability subclasses DomainError, e.g.
 * QueryError); `src/http/errors.ts` maps each kind to an HTTP status and
 * problem+json in one place. Nothing here knows about HTTP.
 */
export type ErrorKind =
  /** The caller's input is malformed or contradictory (→ 400). */
  | "invalid"
  /** Well-formed, but refused by a guardrail or limit: too broad, too costly, budget too small (→ 422). */
  | "refused"
  /** The thing asked for does not exist (→ 404). */
  | "not_found"
  /** A dependency (Loki, the cache) cannot serve now (→ 503). */
  | "unavailable"
  /** The work ran past its deadline (→ 504). */
  | "timeout";

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine name (kebab-case), becomes the problem type. */
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    /** How the caller should change the call. */
    readonly hint: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(detail);
    this.name = "DomainError";
  }
}

/** Any thrown value as an Error (a thrown string or object would bypass the error handler). */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "string") return new Error(value);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error(`non-error thrown: ${String(value)}`);
  }
}
