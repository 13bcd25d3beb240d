import { RE2JS } from "re2js";
import { checkRegex } from "../logql/index.ts";
import type { PatternLibrary, PatternMatch } from "../patterns/library/index.ts";
import { type Level, type ParsedLine, parseLine } from "../query/lines.ts";
import { keepLine } from "../query/modes.ts";
import { StreamError } from "./errors.ts";
import type { FilterFields } from "./protocol.ts";

/**
 * A subscription's in-process filters: what the shared upstream tail (one per
 * selector) does not already narrow. Pure: a line in, keep or not out. Every
 * check is linear in the line (substring search, RE2, the library's RE2
 * matcher), so a hostile line costs no more than its length.
 */

/** One line of a shared tail, parsed once for every subscription that reads it. */
export interface StreamLine {
  /** Position in the hub's sequence of lines (increasing, never reused). */
  offset: number;
  ts: string;
  line: string;
  labels: Record<string, string>;
  /** The stream's key (sorted labels): lines of one stream share it. */
  stream: string;
  metadata: Record<string, string>;
  /** Parsed on first use (level, message) and shared. */
  parsed(): ParsedLine;
  /** Library patterns the line matches, on first use and shared. */
  patterns(): readonly PatternMatch[];
}

export interface LineFilter {
  keep(line: StreamLine): boolean;
  /** Whether the filter reads the line's level or message (so the hub parses lines). */
  readonly parses: boolean;
}

/** Lines longer than this are matched on their head only (as the pattern library does). */
export const MAX_FILTER_CHARS = 65_536;

const head = (line: string) => (line.length > MAX_FILTER_CHARS ? line.slice(0, MAX_FILTER_CHARS) : line);

export function compileFilter(f: FilterFields, library: PatternLibrary): LineFilter {
  const checks: Array<(l: StreamLine) => boolean> = [];
  let parses = false;
  const levels = f.levels?.length ? new Set<Level>(f.levels) : undefined;
  if (f.mode || levels) {
    parses = true;
    const mode = f.mode;
    checks.push((l) => (levels === undefined || levels.has(l.parsed().level)) && keepLine(mode, l.parsed(), l.line));
  }
  for (const text of f.contains ?? []) checks.push((l) => head(l.line).includes(text));
  if (f.regex) {
    const re = compileRegex(f.regex);
    checks.push((l) => re.matcher(head(l.line)).find());
  }
  if (f.patterns?.length) {
    const unknown = f.patterns.filter((id) => library.get(id) === undefined);
    if (unknown.length) {
      throw new StreamError(
        "invalid",
        "unknown-pattern",
        "Unknown library pattern",
        `patterns names ${unknown.map((id) => `"${id}"`).join(", ")}, which the pattern library does not have`,
        "Use pattern ids listed by GET /api/v1/ai_logs/patterns (e.g. db-connection-refused).",
        [{ field: "patterns", message: `unknown: ${unknown.join(", ")}` }],
      );
    }
    const wanted = new Set(f.patterns);
    checks.push((l) => l.patterns().some((m) => wanted.has(m.id)));
  }
  if (f.sample !== undefined && f.sample < 1) {
    const below = Math.floor(f.sample * 2 ** 32);
    checks.push((l) => sampleHash(l.ts, l.line) < below);
  }
  return { keep: (l) => checks.every((check) => check(l)), parses };
}

function compileRegex(source: string): RE2JS {
  try {
    return RE2JS.compile(checkRegex(source, { field: "regex" }));
  } catch (err) {
    throw new StreamError(
      "invalid",
      "bad-regex",
      "Invalid regex",
      `regex does not compile as RE2: ${err instanceof Error ? err.message : String(err)}`,
      "Write an RE2 regex (no backreferences or lookaround), e.g. timeout|refused.",
      [{ field: "regex", message: "not an RE2 regex" }],
    );
  }
}

/** FNV-1a over timestamp and line: the same line is kept or not by every subscription with the same rate. */
export function sampleHash(ts: string, line: string): number {
  let h = 0x811c9dc5;
  for (const text of [ts, line]) {
    const n = Math.min(text.length, 4096);
    for (let i = 0; i < n; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** A StreamLine over plain values, parsing lazily (the hub's lines are built the same way). */
export function streamLine(
  offset: number,
  ts: string,
  line: string,
  labels: Record<string, string>,
  stream: string,
  metadata: Record<string, string>,
  library: Pick<PatternLibrary, "match">,
): StreamLine {
  let parsed: ParsedLine | undefined;
  let patterns: readonly PatternMatch[] | undefined;
  return {
    offset,
    ts,
    line,
    labels,
    stream,
    metadata,
    parsed: () => {
      parsed ??= parseLine({ line, labels, metadata });
      return parsed;
    },
    patterns: () => {
      patterns ??= library.match(line);
      return patterns;
    },
  };
}
