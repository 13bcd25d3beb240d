import { DomainError } from "../errors.ts";

/** A /patterns failure (bad step, budget too small). */
export class PatternsError extends DomainError {
  override name = "PatternsError";
}
