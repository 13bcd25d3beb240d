import { LogqlError } from "./errors.ts";
import { renderMatcher } from "./render-log.ts";
import { findSelectors } from "./selectors.ts";
import { tokenize } from "./tokenize.ts";
import type { Matcher } from "./types.ts";
import { assertQueryLength, type RawQueryOptions, validateRawQuery } from "./validate.ts";

/**
 * Scoping of caller-supplied raw LogQL: every stream selector in the query
 * gets the required matchers AND-ed in, so a raw query can only ever narrow
 * what the required matchers allow. Tenant isolation itself is the
 * X-Scope-OrgID header; this guards restrictions inside a tenant (e.g. a
 * service) and makes sure the text sent to Loki is what we checked.
 */

function sameMatcher(a: Matcher, b: Matcher): boolean {
  return a.label === b.label && a.op === b.op && a.value === b.value;
}

export interface ScopeResult {
  /** The scoped query: selectors re-rendered with required matchers first, `#` comments removed. */
  logql: string;
  /** Number of stream selectors that were scoped (0 for queries like vector(1)). */
  selectors: number;
}

/**
 * Validates `logql` and returns it with `required` AND-ed into every stream
 * selector. Throws LogqlError when the query is invalid or too long once scoped.
 */
export function scopeRawQuery(logql: string, required: readonly Matcher[], options: RawQueryOptions = {}): ScopeResult {
  const requiredText = required.map((m, i) => renderMatcher(m, `required[${i}]`));
  const info = validateRawQuery(logql, options);
  const cuts = [
    ...info.selectors.map((s) => {
      const own = s.matchers.filter((m) => !required.some((r) => sameMatcher(r, m)));
      const parts = [...requiredText, ...own.map((m, i) => renderMatcher(m, `logql selector matcher ${i + 1}`))];
      return { start: s.start, end: s.end, text: `{${parts.join(", ")}}` };
    }),
    ...info.comments.map((c) => ({ start: c.start, end: c.end, text: "" })),
  ].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const cut of cuts) {
    if (cut.start < at) continue; // a comment inside a selector: the selector was re-rendered without it
    out += logql.slice(at, cut.start) + cut.text;
    at = cut.end;
  }
  out += logql.slice(at);
  out = out.trim();
  assertQueryLength(out, options.maxBytes, "scoped logql");
  assertScoped(out, required);
  return { logql: out, selectors: info.selectors.length };
}

/**
 * Checks that every stream selector in `logql` contains every required
 * matcher. Use it on what Loki's format_query returns before running the
 * query, so the text that runs is the text that was checked.
 */
export function assertScoped(logql: string, required: readonly Matcher[]): void {
  const selectors = findSelectors(tokenize(logql).tokens);
  for (const [i, s] of selectors.entries()) {
    const missing = required.find((r) => !s.matchers.some((m) => sameMatcher(r, m)));
    if (missing !== undefined) {
      throw new LogqlError(`stream selector ${i + 1} lacks the required matcher ${renderMatcher(missing)}`, {
        code: "scope_violation",
        field: "logql",
        hint: "The query must stay within the scope of this API key; query through scopeRawQuery.",
        position: s.start,
      });
    }
  }
}
