import { DomainError } from "../errors.ts";

/** A /query (and shared query-core: time, cursor, guardrail, budget) failure. */
export class QueryError extends DomainError {
  override name = "QueryError";
}
