import { DomainError } from "../errors.ts";

/** A /correlate failure (an id nobody logged, a bad id, a parameter of the other mode). */
export class CorrelateError extends DomainError {
  override name = "CorrelateError";
}
