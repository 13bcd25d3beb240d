// Structured lines: a JSON object or a logfmt line holds its message in one field. The miner
// mines that field and hands the other fields back untouched.

import { trimmed } from "./chars.ts";

export interface Extracted {
  message: string;
  /** The other fields of a JSON or logfmt line; absent for plain text. */
  fields?: Record<string, unknown>;
}

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

function fromJson(line: string, text: string, keys: readonly string[]): Extracted {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: line };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { message: line };
  const record = parsed as Record<string, unknown>;
  for (const key of keys) {
    const value = record[key];
    if (typeof value !== "string") continue;
    const { [key]: _message, ...fields } = record;
    return { message: value, fields };
  }
  return { message: line };
}

const LOGFMT_PAIR = /([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/y;
const SPACES = /\s*/y;

function fromLogfmt(line: string, text: string, keys: readonly string[]): Extracted {
  const fields: Record<string, unknown> = {};
  let pos = 0;
  let pairs = 0;
  while (pos < text.length) {
    LOGFMT_PAIR.lastIndex = pos;
    const m = LOGFMT_PAIR.exec(text);
    if (m === null) return { message: line };
    const key = m[1] as string;
    const raw = m[2] as string;
    fields[key] = raw.startsWith('"') ? unquote(raw) : raw;
    pairs++;
    SPACES.lastIndex = LOGFMT_PAIR.lastIndex;
    SPACES.exec(text);
    const next = SPACES.lastIndex;
    if (next === LOGFMT_PAIR.lastIndex && next < text.length) return { message: line };
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

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
