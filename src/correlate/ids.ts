import type { LogEntry } from "../query/entry.ts";
import type { ParsedLine } from "../query/lines.ts";
import { CorrelateError } from "./errors.ts";

/**
 * Correlation ids across the ways services write them: a JSON field, a logfmt pair, plain text or structured
 * metadata, under `trace_id`, `traceId`, `correlation_id`, `request_id`, `x-request-id` (any case, `_`/`-`/`.`
 * spelled either way) or a W3C `traceparent` (`00-<trace id>-<span id>-01`: the trace id is its 2nd part).
 * Pure and linear in the line.
 */

/** Key names as `idKey` normalises them (lower case, no `_`, `-`, `.`). */
const ID_KEYS = new Set(["traceid", "correlationid", "requestid", "xrequestid", "xcorrelationid"]);
const TRACEPARENT = "traceparent";

/** Structured metadata names an id may sit under (label names: Loki writes metadata names with `_`). */
export const ID_METADATA = [
  "trace_id",
  "traceId",
  "traceID",
  "correlation_id",
  "correlationId",
  "request_id",
  "requestId",
  "x_request_id",
] as const;
export const TRACEPARENT_METADATA = "traceparent";

/** The words a line that carries an id has in its text (the window read's case-folded literals). */
export const ID_WORDS = [
  "trace_id",
  "traceid",
  "trace-id",
  "correlation_id",
  "correlationid",
  "correlation-id",
  "request_id",
  "requestid",
  "request-id",
  "traceparent",
] as const;

const idKey = (key: string): string => key.toLowerCase().replace(/[-_.]/g, "");

const W3C = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i;

/** The trace id of a W3C traceparent value, or undefined. */
export function traceparentId(value: string): string | undefined {
  return W3C.exec(value.trim())?.[1];
}

/** Longest id accepted. */
export const MAX_ID_LENGTH = 256;
const MIN_ID_LENGTH = 4;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The id a caller asked for, checked: 4–256 characters, no control characters or spaces. A whole W3C
 * traceparent stands for its trace id. Throws a 400 with a hint otherwise.
 */
export function requestedId(raw: string): { id: string; from?: "traceparent" } {
  const bad = (detail: string, hint: string) =>
    new CorrelateError("invalid", "bad-trace-id", "Invalid trace_id", detail, hint);
  if (raw.length > MAX_ID_LENGTH) {
    throw bad(
      `trace_id has ${raw.length} characters, more than ${MAX_ID_LENGTH}`,
      "Send the id itself (a trace, correlation or request id), not a line.",
    );
  }
  if (CONTROL.test(raw)) {
    throw bad(
      "trace_id contains control characters",
      "Send the id as it appears in the logs (letters, digits, - _ . : and the like).",
    );
  }
  if (/\s/.test(raw)) {
    throw bad("trace_id contains spaces", "An id is one token: send it without spaces (trim it).");
  }
  if (raw.length < MIN_ID_LENGTH) {
    throw bad(
      `trace_id "${raw}" has fewer than ${MIN_ID_LENGTH} characters`,
      "Send the whole id: a shorter value matches too many unrelated lines.",
    );
  }
  const part = traceparentId(raw);
  return part ? { id: part, from: "traceparent" } : { id: raw };
}

/** An id value of a key (the 2nd part of a traceparent), when the key names an id. */
function idValue(key: string, value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const k = idKey(key);
  if (k === TRACEPARENT) return traceparentId(String(value));
  return ID_KEYS.has(k) ? String(value) : undefined;
}

/** The first id a record (fields, metadata or labels) holds under an id key. */
function idIn(record: Record<string, unknown>): string | undefined {
  for (const key in record) {
    const v = idValue(key, record[key]);
    if (v) return v;
  }
  return undefined;
}

const TEXT_ID =
  /(?:^|[^A-Za-z0-9])(?:x-request-id|x-correlation-id|traceparent)["']?\s*[=:]\s*"?([A-Za-z0-9][\w.:-]{3,})/i;

/** The id a line carries (window mode): fields, then structured metadata, then labels, then its text. */
export function idOf(entry: Pick<LogEntry, "line" | "labels" | "metadata">, parsed: ParsedLine): string | undefined {
  const found = idIn(parsed.fields) ?? idIn(entry.metadata) ?? idIn(entry.labels);
  if (found) return found;
  if (parsed.traceId) return parsed.traceId;
  const m = TEXT_ID.exec(entry.line)?.[1];
  return m === undefined ? undefined : (traceparentId(m) ?? m);
}

/** Whether the line holds `id` under an id key (fields, metadata, labels) or as a whole token of its text. */
export function carriesId(
  entry: Pick<LogEntry, "line" | "labels" | "metadata">,
  fields: Record<string, unknown>,
  id: string,
): boolean {
  for (const record of [fields, entry.metadata, entry.labels] as Record<string, unknown>[]) {
    for (const key in record) if (idValue(key, record[key]) === id) return true;
  }
  return hasToken(entry.line, id);
}

const isWord = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
const isJoiner = (c: string | undefined): boolean => c === "-" || c === ".";

/**
 * Whether `id` occurs in `line` as a whole token: not inside a longer id (`abc123` is not in `abc1234` nor in
 * `x-abc123`); a `-` or `.` joins only when a letter or digit is on its other side (so `id=abc123.` ends a
 * sentence), and the trace id inside a traceparent (`00-<id>-<span>-01`) counts.
 */
export function hasToken(line: string, id: string): boolean {
  if (id.length === 0) return false;
  for (let i = line.indexOf(id); i !== -1; i = line.indexOf(id, i + 1)) {
    const end = i + id.length;
    const joinsBefore = isWord(line[i - 1]) || (isJoiner(line[i - 1]) && isWord(line[i - 2]));
    const joinsAfter = isWord(line[end]) || (isJoiner(line[end]) && isWord(line[end + 1]));
    if (!joinsBefore && !joinsAfter) return true;
    if (inTraceparent(line, i, end)) return true;
  }
  return false;
}

function inTraceparent(line: string, start: number, end: number): boolean {
  return (
    /^[0-9a-fA-F]{2}-$/.test(line.slice(start - 3, start)) &&
    !isWord(line[start - 4]) &&
    /^-[0-9a-fA-F]{16}-[0-9a-fA-F]{2}(?![A-Za-z0-9_])/.test(line.slice(end, end + 23))
  );
}
