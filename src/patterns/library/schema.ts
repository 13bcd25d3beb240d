import { z } from "zod";
import { durationMs, isLabelName, isLogqlError } from "../../logql/index.ts";
import { compileRe2, fieldOfGroup, keywordSource, MAX_REGEX_LENGTH, namedGroupTokens, re2Error } from "./re2.ts";

/**
 * The shape of one pattern file (`patterns/<category>.yaml`):
 *
 * ```yaml
 * patterns:
 *   - id: conn-refused            # kebab-case, unique across the library
 *     title: Connection refused
 *     category: connection        # must equal the file name for the five category files
 *     severity: high              # critical | high | medium | low
 *     match:
 *       regex: 'dial tcp (?P<addr>\S+): connect: connection refused|ECONNREFUSED'
 *       keywords: [refused, ECONNREFUSED]   # literal substrings, ANY of them
 *       exclude: [retry succeeded]          # literal substrings that veto a match
 *       case: insensitive                   # default; applies to regex, keywords and exclude
 *     fields: [{ name: addr, description: host:port dialled }]
 *     description: ...
 *     remediation: ...
 *     references: [https://...]
 *     examples: { positive: [...], negative: [...] }
 *     burst: { count: 10, window: 1m, group_by: [ip] }   # optional threshold
 * ```
 *
 * A line matches when every condition given holds: it contains at least one
 * keyword (if keywords are given), the regex matches somewhere in it (if a
 * regex is given), and it contains no exclude string.
 */

export const CATEGORIES = ["connection", "performance", "ai", "security", "infrastructure"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Most severe first. */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

const text = z.string().trim().min(1, "must not be empty");
const literalList = z
  .array(z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"))
  .min(1, "must list at least one string");

const fieldSchema = z.strictObject({
  name: z.string().refine(isLabelName, "must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
  description: text,
});

const matchSchema = z
  .strictObject({
    regex: z.string().min(1, "must not be empty").max(MAX_REGEX_LENGTH).optional(),
    keywords: literalList.optional(),
    exclude: literalList.optional(),
    case: z.enum(["insensitive", "sensitive"]).default("insensitive"),
  })
  .superRefine((m, ctx) => {
    if (m.regex === undefined && m.keywords === undefined) {
      ctx.addIssue({ code: "custom", message: "give a regex, keywords, or both" });
    }
    for (const key of ["keywords", "exclude"] as const) {
      const list = m[key];
      if (list !== undefined && keywordSource(list).length > MAX_REGEX_LENGTH) {
        const message = `too long together: as one regex they must stay under ${MAX_REGEX_LENGTH} characters`;
        ctx.addIssue({ code: "custom", path: [key], message });
      }
    }
    if (m.regex === undefined) return;
    const error = re2Error(m.regex, m.case);
    if (error !== undefined) {
      ctx.addIssue({ code: "custom", path: ["regex"], message: `invalid RE2: ${error}` });
      return;
    }
    for (const t of namedGroupTokens(m.regex)) {
      if (t.syntax === "js") {
        ctx.addIssue({
          code: "custom",
          path: ["regex"],
          message: `write named groups in RE2 syntax (?P<${t.name}>...), not (?<${t.name}>...)`,
        });
      }
    }
    if (compileRe2(m.regex, m.case).test("")) {
      ctx.addIssue({
        code: "custom",
        path: ["regex"],
        message: "matches the empty string, so it would match every line",
      });
    }
  });

/**
 * A line the pattern must match: a string, or `{ line, fields }` where fields
 * are exactly the values the match must extract.
 */
const positiveExample = z
  .union([z.string().min(1), z.strictObject({ line: z.string().min(1), fields: z.record(z.string(), z.string()) })])
  .transform((e): { line: string; fields?: Record<string, string> } => (typeof e === "string" ? { line: e } : e));

const burstSchema = z.strictObject({
  count: z.int().min(2, "must be at least 2").max(100_000),
  window: z.union([z.string(), z.int()]).superRefine((w, ctx) => {
    try {
      durationMs(w, "window");
    } catch (e) {
      ctx.addIssue({ code: "custom", message: isLogqlError(e) ? e.message : String(e) });
    }
  }),
  group_by: z.array(z.string().min(1)).default([]),
});

export const patternSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, "must be kebab-case (e.g. conn-refused)"),
    title: text,
    category: z.enum(CATEGORIES),
    severity: z.enum(SEVERITIES),
    match: matchSchema,
    fields: z.array(fieldSchema).default([]),
    description: text,
    remediation: text,
    references: z.array(z.url({ protocol: /^https?$/ })).min(1, "must list at least one reference URL"),
    examples: z.strictObject({
      positive: z.array(positiveExample).min(1, "must list at least one line the pattern matches"),
      negative: z.array(z.string().min(1)).min(1, "must list at least one near-miss line it must not match"),
    }),
    burst: burstSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const declared = new Map<string, number>();
    p.fields.forEach((f, i) => {
      if (declared.has(f.name))
        ctx.addIssue({ code: "custom", path: ["fields", i, "name"], message: "duplicate field" });
      declared.set(f.name, i);
    });
    const captured = new Set((p.match.regex === undefined ? [] : namedGroupTokens(p.match.regex)).map((t) => t.name));
    for (const group of captured) {
      if (!declared.has(fieldOfGroup(group))) {
        ctx.addIssue({
          code: "custom",
          path: ["match", "regex"],
          message: `named group "${group}" is not declared in fields`,
        });
      }
    }
    const filled = new Set([...captured].map(fieldOfGroup));
    for (const [name, i] of declared) {
      if (!filled.has(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["fields", i, "name"],
          message: `no named group (?P<${name}>...) in match.regex captures it`,
        });
      }
    }
    p.burst?.group_by.forEach((name, i) => {
      if (!declared.has(name)) {
        ctx.addIssue({ code: "custom", path: ["burst", "group_by", i], message: `"${name}" is not a declared field` });
      }
    });
  });

export const patternFileSchema = z.strictObject({
  patterns: z.array(z.unknown()).min(1, "must list at least one pattern"),
});

export type PatternInput = z.input<typeof patternSchema>;
export type Pattern = z.output<typeof patternSchema>;
export type PatternMatchRule = Pattern["match"];
export type PatternField = Pattern["fields"][number];
export type BurstRule = NonNullable<Pattern["burst"]>;
export type PositiveExample = Pattern["examples"]["positive"][number];
