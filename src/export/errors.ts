import { DomainError } from "../errors.ts";

/** An export failure before the first byte (bad columns, a link that expired or belongs to another tenant). */
export class ExportError extends DomainError {
  override name = "ExportError";
}
