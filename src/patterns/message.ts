// What the template miner reads of a log line for the query summary and /patterns, so templates read as a person
// would name the event: the message, without the line's own timestamp and level, and with its `key=value` fields as
// `key=<*>` (their values are handed back beside the text, for parameter samples). A pure core, linear in the line
// and capped. The Loghub path mines raw messages with the miner's defaults and never comes here.

import { isSpace } from "./miner/chars.ts";
import { type MinerConfig, PLACEHOLDER } from "./miner/index.ts";

/** The text to mine, and the values that `key=<*>` stands for in it, in order. */
export interface MinedText {
  text: string;
  values: string[];
}

/** A line and what `parseLine` (src/query/lines.ts) read of it. */
export interface LineParts {
  line: string;
  /** The message field of a JSON or logfmt line, else the line itself. */
  message: string;
  /** The other fields of a JSON or logfmt line (all of them for JSON without a message). */
  fields: Record<string, unknown>;
}

/** Miner settings for text made by `minedText`: it is already the message, so the miner extracts nothing again. */
export const MINED_TEXT_MINER: Partial<MinerConfig> = Object.freeze({ messageKeys: [] });

/** Characters of a line normalised; the rest is kept as written (the miner caps what it mines anyway). */
export const MAX_SCAN = 8_192;
/** Most fields replaced by `key=<*>` per line. */
export const MAX_FIELDS = 64;
/** Longest value kept for parameter samples. */
const MAX_VALUE = 200;

const MESSAGE_KEYS = new Set(["msg", "message", "MESSAGE", "Message", "log", "text", "body", "event"]);
const TIME_KEYS = new Set(["ts", "time", "timestamp", "@timestamp", "datetime", "date"]);
const LEVEL_KEYS = new Set(["level", "lvl", "severity", "loglevel", "log_level", "levelname", "detected_level"]);
const LEVEL_WORDS = new Set(
  "FATAL PANIC CRITICAL CRIT EMERG ALERT ERROR ERR EROR WARNING WARN NOTICE INFO INFORMATION DEBUG DBUG TRACE".split(
    " ",
  ),
);

// All anchored (sticky) with bounded repeats: each runs in time bounded by its own length.
const ISO_TIME =
  /\[?\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?(?=\s|$)/y;
const CLOCK = /\[?\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\]?(?=\s|$)/y;
const SYSLOG_TIME = /(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?=\s|$)/y;
const LEVEL = /([[<]?)([A-Za-z]{3,11})([\]>]?):?(?=\s|$)/y;
/** `key=` at a word's start, after an optional opening bracket: `order=`, `(active=`; not `a==b` or `x=>y`. */
const PAIR = /([([{<]?)([A-Za-z_][\w.-]{0,63})=(?![=>])/y;
const CLOSERS = ")]}>,;";

/** The text to mine for a line, from what `parseLine` read of it. */
export function minedText(parts: LineParts): MinedText {
  const { line, message, fields } = parts;
  if (message !== line) return normalize(message, false); // the message field of a JSON or logfmt line
  if (isJsonObject(line) && Object.keys(fields).length > 0) return fromFields(fields);
  return normalize(line, true);
}

/** Longest message whose text `minedTextCache` remembers. */
const MEMO_MESSAGE_MAX = 2_000;

/**
 * `minedText` for the lines of one answer: a line's text made from its message field alone (see
 * `minedText`) is the same for every line with that message, so it is made once per message.
 */
export function minedTextCache(): (parts: LineParts) => MinedText {
  const memo = new Map<string, MinedText>();
  return (parts) => {
    if (parts.message === parts.line || parts.message.length > MEMO_MESSAGE_MAX) return minedText(parts);
    let text = memo.get(parts.message);
    if (text === undefined) {
      text = minedText(parts);
      memo.set(parts.message, text);
    }
    return text;
  };
}

function isJsonObject(line: string): boolean {
  const text = line.trim();
  return text.startsWith("{") && text.endsWith("}");
}

/** A JSON object without a message field: its message under another name, else its keys as `key=<*>`. */
function fromFields(fields: Record<string, unknown>): MinedText {
  for (const [key, value] of Object.entries(fields)) {
    if (MESSAGE_KEYS.has(key) && typeof value === "string" && value.trim() !== "") return normalize(value, false);
  }
  const words: string[] = [];
  const values: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (words.length >= MAX_FIELDS) break;
    if (TIME_KEYS.has(key) || LEVEL_KEYS.has(key) || !/^[^\s=<>]{1,64}$/.test(key)) continue;
    words.push(`${key}=${PLACEHOLDER}`);
    values.push(capped(typeof value === "string" ? value : printed(value)));
  }
  return words.length > 0 ? { text: words.join(" "), values } : { text: "", values: [] };
}

/** A field value as text; never throws (a value that cannot be printed is shown as its type). */
function printed(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `<${typeof value}>`;
  }
}

interface Token {
  /** The whitespace before the token. */
  sep: string;
  text: string;
  /** For a `key=value` word: the text standing for it (`key=<*>` with its brackets) and the value. */
  field?: { text: string; value: string; quoted: boolean; key: string };
}

/**
 * Plain text (or a message): the leading timestamp and level dropped (`withPrefix`), a field holding the message
 * written as its text, every other `key=value` word as `key=<*>`. An unquoted value written with a space in it
 * (`op=GET /watch`) keeps its second word when that word sits between two fields or ends the line after two.
 */
function normalize(source: string, withPrefix: boolean): MinedText {
  const head = source.length > MAX_SCAN ? source.slice(0, MAX_SCAN) : source;
  const tail = source.slice(head.length);
  const tokens = tokenize(head, withPrefix ? skipPrefix(head) : skipSpace(head, 0));
  const values: string[] = [];
  let text = "";
  let inlined = false;
  tokens.forEach((t, i) => {
    const sep = text === "" ? "" : t.sep;
    if (t.field && !inlined && MESSAGE_KEYS.has(t.field.key)) {
      inlined = true;
      text += sep + t.field.value;
    } else if (t.field && values.length < MAX_FIELDS) {
      text += sep + t.field.text;
      values.push(capped(t.field.value));
    } else if (continuesValue(tokens, i) && values.length > 0) {
      values[values.length - 1] = capped(`${values.at(-1)}${t.sep}${t.text}`);
    } else {
      text += sep + t.text;
    }
  });
  if (text === "" && tail === "") return { text: source.trim(), values: [] };
  return { text: text + tail, values };
}

/** A plain word right after an unquoted field, with another field before that one or right after it. */
function continuesValue(tokens: readonly Token[], i: number): boolean {
  const prev = tokens[i - 1]?.field;
  if (tokens[i]!.field || !prev || prev.quoted) return false;
  return i === tokens.length - 1 ? tokens[i - 2]?.field !== undefined : tokens[i + 1]?.field !== undefined;
}

function tokenize(text: string, from: number): Token[] {
  const tokens: Token[] = [];
  let pos = from;
  let sepStart = from;
  while (pos < text.length) {
    const stop = wordEnd(text, pos);
    // A `key=` is inside the word: a word without `=` is plain (most are), so the pattern is not tried on it.
    const end = hasEquals(text, pos, stop) ? pairEnd(text, pos) : undefined;
    const token: Token = { sep: text.slice(sepStart, pos), text: "" };
    if (end !== undefined) {
      token.text = text.slice(pos, end.end);
      token.field = end.field;
      pos = end.end;
    } else {
      token.text = text.slice(pos, stop);
      pos = stop;
    }
    tokens.push(token);
    sepStart = pos;
    pos = skipSpace(text, pos);
  }
  return tokens;
}

/** The end of a `key=value` word at `pos`, and the field it holds; undefined when the word is not one. */
function pairEnd(text: string, pos: number): { end: number; field: NonNullable<Token["field"]> } | undefined {
  PAIR.lastIndex = pos;
  const m = PAIR.exec(text);
  if (m === null) return undefined;
  const open = m[1] ?? "";
  const key = m[2] ?? "";
  const start = PAIR.lastIndex;
  const close = text.charCodeAt(start) === QUOTE ? quoteEnd(text, start) : -1;
  if (close > 0) {
    const end = wordEnd(text, close + 1);
    const closers = text.slice(close + 1, end);
    const value = unquote(text.slice(start, close + 1));
    return { end, field: { text: `${open}${key}=${PLACEHOLDER}${closers}`, value, quoted: true, key } };
  }
  const end = wordEnd(text, start);
  let cut = end;
  while (cut > start && CLOSERS.includes(text[cut - 1]!)) cut--;
  const closers = text.slice(cut, end);
  return {
    end,
    field: { text: `${open}${key}=${PLACEHOLDER}${closers}`, value: text.slice(start, cut), quoted: false, key },
  };
}

const QUOTE = 34;
const BACKSLASH = 92;
/** How far a quoted value is looked for its closing quote. */
const MAX_QUOTED = 1_024;

/** The index of the quote closing the one at `start`, or -1 when there is none close enough. */
function quoteEnd(text: string, start: number): number {
  const stop = Math.min(text.length, start + MAX_QUOTED);
  for (let i = start + 1; i < stop; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

const EQUALS = 61;

function hasEquals(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === EQUALS) return true;
  return false;
}

function wordEnd(text: string, pos: number): number {
  let i = pos;
  while (i < text.length && !isSpace(text.charCodeAt(i))) i++;
  return i;
}

function skipSpace(text: string, pos: number): number {
  let i = pos;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Past the line's own timestamp(s), level and `ts=`/`level=` fields at its start. */
function skipPrefix(text: string): number {
  let pos = skipSpace(text, 0);
  for (let step = 0; step < 6; step++) {
    const next = prefixEnd(text, pos);
    if (next === undefined) break;
    pos = skipSpace(text, next);
  }
  return pos;
}

function prefixEnd(text: string, pos: number): number | undefined {
  for (const re of [ISO_TIME, CLOCK, SYSLOG_TIME]) {
    re.lastIndex = pos;
    if (re.test(text)) return re.lastIndex;
  }
  LEVEL.lastIndex = pos;
  const level = LEVEL.exec(text);
  if (level !== null) {
    const word = level[2] ?? "";
    const bracketed = level[1] !== "" && level[3] !== "";
    if (LEVEL_WORDS.has(word.toUpperCase()) && (bracketed || word === word.toUpperCase())) return LEVEL.lastIndex;
  }
  const pair = pairEnd(text, pos);
  const key = pair?.field.key ?? "";
  const bare = text.startsWith(key, pos); // no bracket before the key
  return pair && bare && (TIME_KEYS.has(key) || LEVEL_KEYS.has(key)) ? pair.end : undefined;
}

function capped(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
}
