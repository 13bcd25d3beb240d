/**
 * Validation problems of the pattern library. Each issue names the file, the
 * pattern (id when it has a readable one, and its 1-based position in the
 * file) and the field path, e.g.
 * `patterns/ai.yaml: pattern "ai-rate-limit" (#2): match.regex: invalid RE2: ...`.
 */

export interface PatternIssue {
  /** File as shown to people, e.g. `patterns/ai.yaml`. */
  file: string;
  /** 1-based position of the pattern in its file; undefined for file-level problems. */
  index?: number;
  /** The pattern's id, when it has a string one. */
  id?: string;
  /** Field path inside the pattern (or the file), e.g. `match.regex`, `examples.positive[1]`; "" for the whole. */
  field: string;
  message: string;
}

export function formatIssue(issue: PatternIssue): string {
  let where = issue.file;
  if (issue.index !== undefined) {
    where += issue.id === undefined ? `: pattern #${issue.index}` : `: pattern "${issue.id}" (#${issue.index})`;
  }
  return issue.field === "" ? `${where}: ${issue.message}` : `${where}: ${issue.field}: ${issue.message}`;
}

/** `["match", "keywords", 2]` → `match.keywords[2]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export class PatternLibraryError extends Error {
  override readonly name = "PatternLibraryError";
  readonly issues: readonly PatternIssue[];

  constructor(issues: readonly PatternIssue[]) {
    const shown = issues.slice(0, 20).map(formatIssue);
    if (issues.length > shown.length) shown.push(`... and ${issues.length - shown.length} more`);
    super(`invalid pattern library (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${shown.join("\n")}`);
    this.issues = issues;
  }
}
