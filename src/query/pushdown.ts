import { containsAnyCase, type LabelFilter, labelFilter, matches, type Stage } from "../logql/index.ts";
import { DETECTED_LEVELS, LEVEL_KEYS, LEVEL_LABELS, LEVEL_WORDS, type Level, normalizeLevel } from "./lines.ts";

/**
 * What each filtering mode asks Loki for, written so Loki runs it fast: label filters on the level
 * labels (Loki 3 adds `detected_level` as structured metadata) and case-folded literals, which Loki
 * runs as substring searches. A regex with classes or anchors runs on every line at ~11k lines/s;
 * only small regexes that start with a literal (Go skips to the literal first) remain.
 *
 * A mode reads one or more legs (one Loki query each); their union must be a SUPERSET of what
 * `keepLine` keeps, which confirms on the parsed line. Level-based modes read three disjoint legs
 * (see `levelLegs`), so the lines Loki already labelled cost a label check, not a text search.
 * Known limit: a word hidden by a JSON `\u` escape in the raw line is not seen.
 */
export type Leg = Stage[];

export const PROBLEM_LEVELS: readonly Level[] = ["fatal", "error", "warn"];
export const ERROR_LEVELS: readonly Level[] = ["fatal", "error"];

/** The words `lines.ts` reads as one of `levels` (error, err, eror, …), in any case. */
export function levelWords(levels: readonly Level[]): string[] {
  return Object.entries(LEVEL_WORDS)
    .filter(([, level]) => levels.includes(level))
    .map(([word]) => word);
}

const ALL_LEVELS: readonly Level[] = ["fatal", "error", "warn", "info", "debug", "trace"];
/** What JavaScript's trim() removes, in RE2. */
const TRIM = "[\\s\\v\\p{Z}\\x{FEFF}]*";
/** Loki anchors label regexes; lines.ts trims and lower-cases a level before reading it. */
const levelValue = (levels: readonly Level[]) => `(?i)${TRIM}(?:${levelWords(levels).join("|")})${TRIM}`;
/** Structured metadata named like a stream label is filtered as `<name>_extracted`. */
const WITH_EXTRACTED = [...LEVEL_LABELS, ...LEVEL_LABELS.map((l) => `${l}_extracted`)];

type Combined = Extract<LabelFilter, { type: "and" | "or" }>;

const anyLabel = (labels: string[], levels: readonly Level[]): Combined => ({
  type: "or",
  filters: labels.map((label) => ({ type: "string", label, op: "=~", value: levelValue(levels) })),
});
const noLabel = (labels: string[], levels: readonly Level[]): Combined => ({
  type: "and",
  filters: labels.map((label) => ({ type: "string", label, op: "!~", value: levelValue(levels) })),
});

/** A level label or structured metadata entry (`level`, `detected_level`, `severity`) says one of `levels`. */
export const levelLabelIs = (levels: readonly Level[]): Combined => anyLabel(WITH_EXTRACTED, levels);

/** No level label says one of `levels` (an absent label counts as empty): the complement of `levelLabelIs`. */
export const levelLabelIsNot = (levels: readonly Level[]): Combined => noLabel(WITH_EXTRACTED, levels);

/**
 * The level-field keys of lines.ts as regex prefixes: a key that ends with another is found by it
 * (`log_level`, `loglevel` and `detected_level` by `level`).
 */
const FIELD_KEYS = LEVEL_KEYS.filter((k) => !LEVEL_KEYS.some((other) => other !== k && k.endsWith(other)));

/**
 * A JSON or logfmt level field that lines.ts reads as one of `levels`: a string value holding one of
 * their words (`"level":"ERROR"`, `lvl=eror`, `level="Warning"`), or a JSON number at least `min`.
 * Each regex starts with its key, a literal Go's regexp skips to before it runs.
 */
export function levelFields(levels: readonly Level[], min: "warn" | "error"): string[] {
  const words = minimalWords(levelWords(levels)).join("|");
  return FIELD_KEYS.map((key) => `${key}"?\\s*[:=]\\s*(?:(?:"[^"]*|[^\\s"]*)(?i:${words})|${NUMERIC[min]})`);
}

/** The words only, without those containing another (a line with "error" contains "err"). */
export function minimalWords(words: readonly string[]): string[] {
  const set = [...new Set(words.map((w) => w.toLowerCase()))];
  return set.filter((w) => !set.some((other) => other !== w && w.includes(other))).sort();
}

/**
 * Numbers a JSON level field may hold that lines.ts reads as at least `min` (pino/bunyan 40/50/60,
 * syslog 0–4, and any exponent): a superset by the text of the number.
 */
const NUMERIC: Record<"warn" | "error", string> = {
  warn: "-|[0-4][^0-9]|[4-9][0-9]|[0-9]{3}|[0-9][0-9.]*[eE]",
  error: "-|[0-3][^0-9]|[5-9][0-9]|[0-9]{3}|[0-9][0-9.]*[eE]",
};

/** A 5xx status after a space, slash, parenthesis, quote, `=` or `:`, or at the start: covers TEXT.trouble's two status patterns. */
export const STATUS_5XX = [" ", "/", "\\(", '"', "=", ":", "^"].map((before) => `${before}5[0-9]{2}`);

/** TEXT.trouble's words beyond the level words (`stack ?trace` as its two spellings). */
const TROUBLE_WORDS = [
  "exception",
  "fail",
  "traceback",
  "stack trace",
  "stacktrace",
  "timeout",
  "timed out",
  "deadline",
  "refused",
  "unavailable",
  "unreachable",
  "exhausted",
  "denied",
  "expired",
  "reset by peer",
  "too many",
  "rejected",
  "cannot",
  "could not",
  "unable",
];

/** TEXT.exception's words. */
const EXCEPTION_WORDS = ["exception", "panic", "traceback", "stack trace", "stacktrace", "failed", "failure", "fatal"];

/** TEXT.audit's words, each alternative spelled out (`api[ _-]?key`, `config(uration)? (change|…)`). */
const AUDIT_WORDS = [
  "login",
  "logout",
  "logged in",
  "log in",
  "signin",
  "sign in",
  "signout",
  "sign out",
  "authenticat",
  "authori",
  "forbidden",
  "permission",
  "denied",
  "password",
  "mfa",
  "2fa",
  "apikey",
  "api key",
  "api_key",
  "api-key",
  "token created",
  "token revoked",
  "token issued",
  "role",
  "grant",
  "revoke",
  "privilege",
  "admin",
  "sudo",
  ...["config", "configuration"].flatMap((c) => ["change", "update", "reload"].map((v) => `${c} ${v}`)),
  "setting changed",
  "policy",
  "audit",
];

/** The performance mode's words (a duration field or a slow operation). */
const PERF_WORDS = ["duration", "latency", "elapsed", "took", "response_time", "time_ms", "_ms=", '_ms"', "slow"];

/**
 * Three disjoint legs by what the level labels say. 1: a label says one of `levels`. 2: a label says
 * another level, so lines.ts reads a problem only from the line's own level field. 3: no label says a
 * level (Loki's `unknown`, or no detection), so any problem word, level field or status may reveal one.
 */
function levelLegs(levels: readonly Level[], min: "warn" | "error", words: string[], regexes: string[]): Leg[] {
  const others = ALL_LEVELS.filter((l) => !levels.includes(l));
  const notLevels = levelLabelIsNot(levels).filters;
  const fields = levelFields(levels, min);
  const text = containsAnyCase(...minimalWords([...levelWords(levels), ...words]));
  return [
    [labelFilter(levelLabelIs(levels))],
    [labelFilter({ type: "and", filters: [...notLevels, anyLabel(LEVEL_LABELS, others)] }), matches(...fields)],
    [
      labelFilter({ type: "and", filters: [...notLevels, ...noLabel(LEVEL_LABELS, others).filters] }),
      matches(...text.values, ...fields, ...regexes),
    ],
  ];
}

/**
 * The fast legs: one query on Loki's own level detection (`detected_level`, structured metadata in
 * Loki 3), which Loki checks per line without reading its text. It leaves out only the lines Loki
 * placed at a level the mode does not keep (its canonical `trace`, `debug`, `info`, and `warn` for
 * errors); parseLine takes exactly those values as the authority, so what it leaves out keepLine would
 * drop too. Lines Loki could not place (`unknown`, no detection: discovery off, older lines) are read
 * and keepLine reads them for problem words. When such lines flood that read (the scan cap filled
 * mostly with lines keepLine drops), the caller reads again with the precise legs below.
 */
const detectedIsNot = (values: readonly string[]) =>
  labelFilter({ type: "string", label: "detected_level", op: "!~", value: values.join("|") });
/** The values of `detected_level` that parseLine reads as a level outside `levels` (so the mode drops the line). */
const detectedOutside = (levels: readonly Level[]) =>
  DETECTED_LEVELS.filter((d) => !levels.includes(normalizeLevel(d) ?? "unknown"));

export const FAST_LEGS = {
  troubleshoot: [[detectedIsNot(detectedOutside(PROBLEM_LEVELS))]],
  errors: [[detectedIsNot(detectedOutside(ERROR_LEVELS))]],
} satisfies Record<string, Leg[]>;

/** The precise legs: keyword and level-field filters, so Loki returns only lines that may be problems. */
export const LEGS = {
  troubleshoot: levelLegs(PROBLEM_LEVELS, "warn", TROUBLE_WORDS, STATUS_5XX),
  errors: levelLegs(ERROR_LEVELS, "error", EXCEPTION_WORDS, []),
  audit: [[containsAnyCase(...minimalWords(AUDIT_WORDS))]],
  performance: [[containsAnyCase(...minimalWords(PERF_WORDS))]],
} satisfies Record<string, Leg[]>;
