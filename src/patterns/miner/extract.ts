// Structured lines: a JSON object or a logfmt line holds its message in one field. The miner
// mines that field and hands the other fields back untouched. Both readers take time linear in
// the line: logfmt is read by hand in one pass, and JSON containers nested deeper than
// MAX_JSON_DEPTH are read as null (printing such fields again would overflow the stack).

import { isSpace, trimmed } from "./chars.ts";

export interface Extracted {
  message: string;
  /** The other fields of a JSON or logfmt line; absent for plain text. */
  fields?: Record<string, unknown>;
}

/** Deepest nesting of objects and arrays a JSON line may have to be read as JSON. */
export const MAX_JSON_DEPTH = 64;

/** Whether `extractMessage` may find fields in `line`; when not, the line is its own message. */
export function mayBeStructured(line: string): boolean {
  const text = trimmed(line);
  return (text.startsWith("{") && text.endsWith("}")) || text.includes("=");
}

/** Picks the message field out of a JSON or logfmt line; plain lines come back as they are. */
export function extractMessage(line: string, messageKeys: readonly string[]): Extracted {
  const text = trimmed(line);
  if (text.startsWith("{") && text.endsWith("}")) return fromJson(line, text, messageKeys);
  if (text.includes("=")) return fromLogfmt(line, text, messageKeys);
  return { message: line };
}

/**
 * `text` parsed as JSON when it is an object, else undefined. Objects and arrays nested deeper than
 * MAX_JSON_DEPTH are read as `null` (see `shallow`), so a hostile line keeps its message and level.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(nestedWithin(text, MAX_JSON_DEPTH) ? text : shallow(text, MAX_JSON_DEPTH));
  } catch {
    return undefined;
  }
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

/** Whether the brackets of `text` (outside JSON strings) nest at most `max` deep. */
function nestedWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return false;
    } else if (c === 125 || c === 93) depth--;
  }
  return true;
}

/**
 * `text` with every object or array that starts deeper than `max` written as `null`, in one pass
 * (strings are copied as they are, a container past the limit is skipped to its matching bracket).
 */
function shallow(text: string, max: number): string {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = stringEnd(text, i);
    else if (c === 123 || c === 91) {
      if (++depth <= max) continue;
      out.push(text.slice(from, i), "null");
      i = containerEnd(text, i);
      depth--;
      from = i + 1;
    } else if (c === 125 || c === 93) depth--;
  }
  out.push(text.slice(from));
  return out.join("");
}

/** The index of the `"` closing the string opened at `open` (or the last index). */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return text.length - 1;
}

/** The index of the bracket closing the container opened at `open` (or the last index). */
function containerEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = stringEnd(text, i);
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return i;
  }
  return text.length - 1;
}

function fromJson(line: string, text: string, keys: readonly string[]): Extracted {
  const record = parseJsonObject(text);
  if (record === undefined) return { message: line };
  for (const key of keys) {
    const value = record[key];
    if (typeof value !== "string") continue;
    const { [key]: _message, ...fields } = record;
    return { message: value, fields };
  }
  return { message: line };
}

/**
 * A logfmt line: `key=value` pairs separated by white space, a value bare (no space or `"`) or
 * double-quoted with backslash escapes; at least two pairs. Anything else is plain text.
 */
function fromLogfmt(line: string, text: string, keys: readonly string[]): Extracted {
  const fields: Record<string, unknown> = {};
  const n = text.length;
  let pos = 0;
  let pairs = 0;
  while (pos < n) {
    const eq = keyEnd(text, pos);
    if (eq < 0) return { message: line };
    const quoted = quotedEnd(text, eq + 1);
    const end = quoted >= 0 ? quoted : bareEnd(text, eq + 1);
    const raw = text.slice(eq + 1, end);
    fields[text.slice(pos, eq)] = quoted >= 0 ? unquote(raw) : raw;
    pairs++;
    let next = end;
    while (next < n && isSpace(text.charCodeAt(next))) next++;
    if (next === end && next < n) return { message: line };
    pos = next;
  }
  if (pairs < 2) return { message: line };
  for (const key of keys) {
    const value = fields[key];
    if (typeof value !== "string") continue;
    const { [key]: _message, ...rest } = fields;
    return { message: value, fields: rest };
  }
  return { message: line };
}

/** Where the `=` after a key starting at `pos` is (the key: one or more of `[^\s="]`), or -1. */
function keyEnd(text: string, pos: number): number {
  let i = pos;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 61) return i > pos ? i : -1;
    if (c === 34 || isSpace(c)) return -1;
    i++;
  }
  return -1;
}

/** Whether `.` in a regex stops at this char code (a line terminator): an escape cannot hold one. */
const isLineEnd = (c: number) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/** The end (after the closing quote) of a quoted value starting at `pos`, or -1 when there is none. */
function quotedEnd(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 34) return -1;
  const n = text.length;
  for (let i = pos + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c !== 92) continue;
    if (i + 1 >= n || isLineEnd(text.charCodeAt(i + 1))) return -1;
    i++;
  }
  return -1;
}

/** The end of a bare value starting at `pos`: the first white space or `"`. */
function bareEnd(text: string, pos: number): number {
  let i = pos;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 || isSpace(c)) break;
    i++;
  }
  return i;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
