import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { fieldPath, type PatternIssue, PatternLibraryError } from "./errors.ts";
import { createMatcher } from "./matcher.ts";
import { CATEGORIES, type Pattern, patternFileSchema, patternSchema } from "./schema.ts";

/**
 * Loading and validating the library: YAML → zod → cross-file checks →
 * examples. Every problem is collected (not just the first) and thrown as one
 * PatternLibraryError whose issues name file, pattern and field.
 */

export interface PatternSource {
  /** File as shown in errors, e.g. `patterns/ai.yaml`. */
  file: string;
  text: string;
}

const EXTENSION = /\.ya?ml$/;

function zodIssues(file: string, error: z.ZodError, base: { index?: number; id?: string } = {}): PatternIssue[] {
  return error.issues.map((i) => ({ file, ...base, field: fieldPath(i.path), message: i.message }));
}

/** The positive examples a pattern misses and the negative ones it matches. */
export function exampleIssues(pattern: Pattern): { field: string; message: string }[] {
  const matcher = createMatcher([pattern]);
  const out: { field: string; message: string }[] = [];
  pattern.examples.positive.forEach((example, i) => {
    const [m] = matcher.match(example.line);
    if (m === undefined) out.push({ field: `examples.positive[${i}]`, message: "does not match" });
    else if (example.fields !== undefined && !sameFields(m.fields, example.fields)) {
      const message = `extracted ${JSON.stringify(m.fields)}, expected ${JSON.stringify(example.fields)}`;
      out.push({ field: `examples.positive[${i}].fields`, message });
    }
  });
  pattern.examples.negative.forEach((line, i) => {
    if (matcher.test(pattern.id, line))
      out.push({ field: `examples.negative[${i}]`, message: "matches, but must not" });
  });
  return out;
}

function sameFields(actual: Record<string, string>, expected: Record<string, string>): boolean {
  const keys = Object.keys(expected);
  return keys.length === Object.keys(actual).length && keys.every((k) => actual[k] === expected[k]);
}

/** Parses and validates one file's text (pure). Returns the valid patterns and the problems found. */
export function parsePatternFile(source: PatternSource): { patterns: Pattern[]; issues: PatternIssue[] } {
  const { file } = source;
  const doc = parseDocument(source.text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      patterns: [],
      issues: doc.errors.map((e) => ({ file, field: "", message: `YAML: ${firstLine(e.message)}` })),
    };
  }
  const top = patternFileSchema.safeParse(doc.toJS());
  if (!top.success) return { patterns: [], issues: zodIssues(file, top.error) };

  const category = basename(file).replace(EXTENSION, "");
  const patterns: Pattern[] = [];
  const issues: PatternIssue[] = [];
  top.data.patterns.forEach((raw, i) => {
    const index = i + 1;
    const rawId = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === "string" && rawId.length <= 100 ? rawId : undefined;
    const where = id === undefined ? { index } : { index, id };
    const parsed = patternSchema.safeParse(raw);
    if (!parsed.success) {
      issues.push(...zodIssues(file, parsed.error, where));
      return;
    }
    const p = parsed.data;
    if ((CATEGORIES as readonly string[]).includes(category) && p.category !== category) {
      issues.push({ file, ...where, field: "category", message: `is "${p.category}" in the "${category}" file` });
      return;
    }
    const bad = exampleIssues(p);
    if (bad.length > 0) {
      issues.push(...bad.map((b) => ({ file, ...where, ...b })));
      return;
    }
    patterns.push(p);
  });
  return { patterns, issues };
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}

/** Validates several files together (pure): each file, then ids unique across all. Throws PatternLibraryError. */
export function parsePatternSources(sources: readonly PatternSource[]): Pattern[] {
  const issues: PatternIssue[] = [];
  const patterns: Pattern[] = [];
  const seen = new Map<string, string>();
  if (sources.length === 0) throw new PatternLibraryError([{ file: "(none)", field: "", message: "no pattern files" }]);
  for (const source of sources) {
    const result = parsePatternFile(source);
    issues.push(...result.issues);
    result.patterns.forEach((p) => {
      const first = seen.get(p.id);
      if (first !== undefined) {
        const index = indexIn(source, p.id);
        issues.push({
          file: source.file,
          index,
          id: p.id,
          field: "id",
          message: `duplicate id, first defined in ${first}`,
        });
        return;
      }
      seen.set(p.id, source.file);
      patterns.push(p);
    });
  }
  if (issues.length > 0) throw new PatternLibraryError(issues);
  return patterns;
}

/** 1-based position of the pattern with `id` in a source (for messages about already-validated patterns). */
function indexIn(source: PatternSource, id: string): number | undefined {
  const list = (parseDocument(source.text).toJS() as { patterns?: { id?: unknown }[] }).patterns ?? [];
  const i = list.findIndex((p) => p?.id === id);
  return i === -1 ? undefined : i + 1;
}

/**
 * Reads every `*.yaml` / `*.yml` file of `dir` (sorted by name) and validates
 * them as one library. Files are named in errors as `<dir name>/<file>`.
 */
export async function loadPatternSources(dir: string): Promise<PatternSource[]> {
  return loadPatternSourcesSync(dir);
}

/** Reads every YAML file of `dir` (sorted); throws PatternLibraryError when the folder cannot be read. */
export function loadPatternSourcesSync(dir: string): PatternSource[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => EXTENSION.test(n))
      .sort();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new PatternLibraryError([{ file: dir, field: "", message: `cannot read the pattern directory: ${reason}` }]);
  }
  const label = basename(dir);
  return names.map((name) => ({ file: `${label}/${name}`, text: readFileSync(join(dir, name), "utf8") }));
}
