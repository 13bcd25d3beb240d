import { LogqlError } from "./errors.ts";

/** Label names Loki accepts in selectors, filters, groupings: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_LABEL_NAME_LENGTH = 1024;

export function isLabelName(name: unknown): boolean {
  return typeof name === "string" && name.length <= MAX_LABEL_NAME_LENGTH && LABEL_NAME.test(name);
}

/** Returns `name` when it is a valid label name; throws LogqlError otherwise. */
export function labelName(name: string, field = "label"): string {
  if (isLabelName(name)) return name;
  const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 80)) : String(name);
  const suggestion =
    typeof name === "string" && name.length > 0
      ? name
          .replace(/[^a-zA-Z0-9_]/g, "_")
          .replace(/^([0-9])/, "_$1")
          .slice(0, 80)
      : "";
  throw new LogqlError(`${field} ${shown} is not a valid label name`, {
    code: "invalid_label_name",
    field,
    hint:
      "Label names must match [a-zA-Z_][a-zA-Z0-9_]* (letters, digits, underscore; not starting with a digit)." +
      (suggestion ? ` Loki stores such names sanitized, e.g. "${suggestion}".` : ""),
  });
}

/** Validates a list of label names (grouping, keep, drop); returns a copy. */
export function labelNames(names: readonly string[], field = "labels"): string[] {
  return names.map((n, i) => labelName(n, `${field}[${i}]`));
}
