import { DomainError } from "../errors.ts";

/** An /analyze failure (a budget too small for the answer's skeleton). */
export class AnalyzeError extends DomainError {
  override name = "AnalyzeError";
}
