/**
 * The one error type of the LogQL core. Every rejection says which input was
 * wrong (`field`), why (`message`), and how an API caller can fix the call
 * (`hint`), so the HTTP layer can map it to a problem+json 400 as is.
 */
export type LogqlErrorCode =
  | "invalid_string"
  | "invalid_label_name"
  | "invalid_regex"
  | "invalid_duration"
  | "invalid_number"
  | "invalid_query"
  | "empty_compatible_selector"
  | "query_too_long"
  | "scope_violation";

export interface LogqlErrorOptions {
  code: LogqlErrorCode;
  field: string;
  hint: string;
  /** Character offset into a raw query, when the error is about one. */
  position?: number;
  cause?: unknown;
}

export class LogqlError extends Error {
  override readonly name = "LogqlError";
  readonly code: LogqlErrorCode;
  readonly field: string;
  readonly hint: string;
  readonly position: number | undefined;

  constructor(message: string, options: LogqlErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.field = options.field;
    this.hint = options.hint;
    this.position = options.position;
  }
}

export function isLogqlError(value: unknown): value is LogqlError {
  return value instanceof LogqlError;
}
