import { extractMessage, parseJsonObject } from "../patterns/miner/extract.ts";
import type { LogEntry } from "./entry.ts";

/**
 * What a line says, across formats: level, message and fields of JSON and
 * logfmt lines, level tokens of plain text, and trace/correlation ids.
 */
export type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "unknown";

export interface ParsedLine {
  level: Level;
  message: string;
  fields: Record<string, unknown>;
  traceId?: string;
}

export const MESSAGE_KEYS = ["msg", "message", "log", "text", "event"] as const;
export const LEVEL_KEYS = ["level", "severity", "lvl", "loglevel", "log_level", "levelname", "detected_level"];
/** The stream labels and structured metadata a level is read from (after the line's own fields). */
export const LEVEL_LABELS = ["level", "detected_level", "severity"];
export const TRACE_KEYS = [
  "trace_id",
  "traceId",
  "traceID",
  "trace",
  "correlation_id",
  "correlationId",
  "request_id",
  "requestId",
  "x_request_id",
];

export const LEVEL_WORDS: Record<string, Level> = {
  fatal: "fatal",
  panic: "fatal",
  critical: "fatal",
  crit: "fatal",
  emerg: "fatal",
  alert: "fatal",
  error: "error",
  err: "error",
  eror: "error",
  warn: "warn",
  warning: "warn",
  info: "info",
  information: "info",
  notice: "info",
  debug: "debug",
  dbug: "debug",
  trace: "trace",
};

export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === "number") {
    // syslog / pino numeric levels
    if (value >= 60 || value <= 2) return "fatal";
    if (value >= 50 || value === 3) return "error";
    if (value >= 40 || value === 4) return "warn";
    if (value >= 30 || value === 5 || value === 6) return "info";
    return "debug";
  }
  if (typeof value !== "string") return undefined;
  return LEVEL_WORDS[value.trim().toLowerCase()];
}

const TEXT_LEVEL = /(?:^|[\s[(|:])(FATAL|PANIC|CRITICAL|CRIT|ERROR|ERR|WARNING|WARN|INFO|DEBUG|TRACE)(?=$|[\s\]):|,])/;
const TEXT_LEVEL_LOWER = /\blevel[=:]\s*"?(\w+)/i;
const TEXT_TRACE =
  /\b(?:trace[_-]?id|traceid|correlation[_-]?id|request[_-]?id)["']?\s*[=:]\s*"?([A-Za-z0-9][\w.:-]{3,})/i;

export function parseLine(entry: Pick<LogEntry, "line" | "labels" | "metadata">): ParsedLine {
  const extracted = extractMessage(entry.line, MESSAGE_KEYS);
  const message = extracted.message;
  // A JSON object without a message field still has a level and ids worth reading.
  const fields = extracted.fields ?? jsonFields(entry.line) ?? {};
  const level = levelOf(entry, fields);
  const traceId = traceIdOf(entry, fields);
  return { level, message, fields, ...(traceId ? { traceId } : {}) };
}

/** The levels Loki 3 writes into `detected_level` (structured metadata, or a stream label in 3.0/3.1). */
export const DETECTED_LEVELS = ["trace", "debug", "info", "warn", "error", "critical", "fatal"] as const;

function levelOf(entry: Pick<LogEntry, "line" | "labels" | "metadata">, fields: Record<string, unknown>): Level {
  // Loki's own detection, when it found a level, is the authority: the troubleshoot and errors pushdown
  // filters on it, so what Loki calls info is info here too (and a line it could not place is read below).
  const detected = entry.labels["detected_level"] ?? entry.metadata["detected_level"];
  if (detected !== undefined && (DETECTED_LEVELS as readonly string[]).includes(detected)) {
    const l = normalizeLevel(detected);
    if (l) return l;
  }
  for (const key of LEVEL_KEYS) {
    const l = normalizeLevel(fields[key]);
    if (l) return l;
  }
  for (const source of [entry.labels, entry.metadata]) {
    for (const key of LEVEL_LABELS) {
      const l = normalizeLevel(source[key]);
      if (l) return l;
    }
  }
  const token = TEXT_LEVEL.exec(entry.line.slice(0, 300))?.[1];
  if (token) return normalizeLevel(token) ?? "unknown";
  return normalizeLevel(TEXT_LEVEL_LOWER.exec(entry.line)?.[1]) ?? "unknown";
}

function traceIdOf(entry: Pick<LogEntry, "line" | "labels" | "metadata">, fields: Record<string, unknown>) {
  for (const source of [fields, entry.metadata, entry.labels] as Record<string, unknown>[]) {
    for (const key of TRACE_KEYS) {
      const v = source[key];
      if (typeof v === "string" && v.length > 0) return v;
    }
  }
  return TEXT_TRACE.exec(entry.line)?.[1];
}

/** Levels at or above warn. */
export const isProblemLevel = (l: Level) => l === "fatal" || l === "error" || l === "warn";

/** The fields of a JSON object line (not nested too deep to read in linear time, see extract.ts). */
function jsonFields(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith("{") || !text.endsWith("}")) return undefined;
  return parseJsonObject(text);
}

/** Longest example line (or template) an answer shows; the rest is cut and its length said (a 256 KB line costs no budget). */
export const EXAMPLE_MAX_CHARS = 1000;
/** Longest line a `format=lines` page shows (about 2,000 tokens); export gives whole lines. */
export const LINE_MAX_CHARS = 8192;

/** A line or template as an answer shows it: whole when short, else its start and how much was cut. */
export function clipExample(line: string, max = EXAMPLE_MAX_CHARS): string {
  if (line.length <= max) return line;
  let end = max;
  const c = line.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${line.slice(0, end)}… [${line.length - end} more characters]`;
}
