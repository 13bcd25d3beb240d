import { z } from "zod";
import { DEFAULT_TTL_TABLE_SPEC, parseTtlTable } from "./cache/ttl.ts";
import { authModeFrom } from "./http/auth/mode.ts";
import { DEFAULT_CHEAP_BUDGET, DEFAULT_HEAVY_BUDGET, parseBudget } from "./http/rate-limit/budget.ts";
import { parseDurationMs } from "./query/time.ts";

/**
 * Configuration from the environment, validated with zod. Every variable is
 * documented here and in the README ("Configuration"). Bad values stop start-up
 * with a message naming the variable and what it expects.
 */
/** A whole number ≥ `min`; the message names what it counts. */
const whole =
  (min: number, what: string, max = Number.MAX_SAFE_INTEGER) =>
  (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new Error(`must be ${what}, got "${v}"`);
    }
    return Number(v);
  };

const url = (name: string, protocols: string[]) =>
  z.string().transform((v, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `${name} must be a URL like ${protocols[0]}//host:port, got "${v}"` });
      return z.NEVER;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must use ${protocols.join(" or ")} (e.g. ${protocols[0]}//host:port), got "${v}"`,
      });
      return z.NEVER;
    }
    return v.replace(/\/+$/, "");
  });

/** A value parsed by `parse`, with its message naming the variable when it throws. */
const parsed = <T>(name: string, fallback: string, parse: (v: string) => T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parse(v === undefined || v === "" ? fallback : v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `${name} ${err instanceof Error ? err.message : String(err)}` });
        return z.NEVER;
      }
    });

const envSchema = z.object({
  /** TCP port the API listens on. */
  PORT: parsed("PORT", "8080", whole(0, "a TCP port number 0-65535", 65535)),
  /** Interface the API binds to. */
  HOST: z.string().min(1, "HOST must be a host name or IP address").default("127.0.0.1"),
  /** Base URL of Loki's HTTP API. */
  LOKI_URL: url("LOKI_URL", ["http:", "https:"]).default("http://127.0.0.1:3100"),
  /** X-Scope-OrgID sent to Loki when the API runs single-tenant against a Loki with auth enabled. */
  LOKI_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9!\-_.*'()]{1,150}$/, "LOKI_TENANT must be a Loki tenant id (letters, digits, !-_.*'(), ≤150)")
    .optional(),
  /** Redis URL for the cache; unset → in-memory cache. */
  REDIS_URL: url("REDIS_URL", ["redis:", "rediss:"]).optional(),
  /** Log level of the API's own logs. */
  LOG_LEVEL: z
    .enum(["debug", "info", "warn", "error", "silent"], {
      error: () => "LOG_LEVEL must be one of debug, info, warn, error, silent",
    })
    .default("info"),
  /** Timeout of one call to Loki (queries). */
  LOKI_TIMEOUT_MS: parsed("LOKI_TIMEOUT_MS", "30000", whole(1, "a positive whole number of milliseconds")),
  /** Most bytes of one Loki response body read; a larger answer is refused (422, narrow the query) unread. */
  LOKI_MAX_RESPONSE_BYTES: parsed("LOKI_MAX_RESPONSE_BYTES", "64MiB", (v) => {
    const bytes = Math.floor(parseBytes(v));
    if (bytes < 1) throw new Error(`must be a positive size like 64MiB, got "${v}"`);
    return bytes;
  }),
  /** Timeout of the whole /health check. */
  HEALTH_TIMEOUT_MS: parsed("HEALTH_TIMEOUT_MS", "2000", whole(1, "a positive whole number of milliseconds")),
  /** How long one /health check answers every probe (probes are never rate-limited); 0 = share only a check in flight. */
  HEALTH_CACHE_MS: parsed("HEALTH_CACHE_MS", "1000", whole(0, "a whole number of milliseconds")),
  /** Timeout of one API request, end to end (504 after it). */
  REQUEST_TIMEOUT_MS: parsed("REQUEST_TIMEOUT_MS", "60000", whole(1, "a positive whole number of milliseconds")),
  /** How long a graceful shutdown waits for in-flight requests. */
  SHUTDOWN_TIMEOUT_MS: parsed("SHUTDOWN_TIMEOUT_MS", "10000", whole(1, "a positive whole number of milliseconds")),
  /** The label that names services; unset → auto-detected (service_name, service, app, job, …). */
  SERVICE_LABEL: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "SERVICE_LABEL must be a Loki label name like service_name or app")
    .optional(),
  /** Longest time range one query may cover. */
  MAX_QUERY_RANGE: parsed("MAX_QUERY_RANGE", "7d", (v) => {
    const ms = parseDurationMs(v);
    if (ms === undefined || ms <= 0) throw new Error(`must be a duration like 24h or 7d, got "${v}"`);
    return ms;
  }),
  /** Longest range /services counts lines over (it counts every stream; capped by MAX_QUERY_RANGE too). */
  SERVICES_MAX_RANGE: parsed("SERVICES_MAX_RANGE", "1d", (v) => {
    const ms = parseDurationMs(v);
    if (ms === undefined || ms <= 0) throw new Error(`must be a duration like 6h or 1d, got "${v}"`);
    return ms;
  }),
  /** Most lines one answer reads from Loki (time-sliced paging up to this cap). */
  QUERY_SCAN_CAP: parsed("QUERY_SCAN_CAP", "20000", whole(1, "a positive whole number of lines")),
  /** Lines per Loki call when paging (≤ Loki's max_entries_limit_per_query, 5000 by default). */
  QUERY_PAGE_SIZE: parsed("QUERY_PAGE_SIZE", "5000", whole(1, "a positive whole number of lines")),
  /** Most Loki calls one answer makes at once: a long range is read in this many time slices concurrently. */
  QUERY_CONCURRENCY: parsed(
    "QUERY_CONCURRENCY",
    "4",
    whole(1, "a whole number of concurrent Loki calls from 1 to 32", 32),
  ),
  /** Token budget of an answer when the caller gives no max_tokens. */
  DEFAULT_MAX_TOKENS: parsed("DEFAULT_MAX_TOKENS", "4000", whole(200, "a whole number ≥ 200")),
  /** "on" or "off"; with API_KEYS_FILE set auth is on. Off = single tenant, local use. */
  AUTH: z.string().optional(),
  /** YAML or JSON list of {id, sha256, tenant, scopes}; reloaded on change. */
  API_KEYS_FILE: z.string().min(1).optional(),
  /** Cache TTL by how recent a range's end is: AGE:TTL rules, e.g. 5m:30s,1h:2m,24h:15m,*:6h. */
  CACHE_TTL_TABLE: parsed("CACHE_TTL_TABLE", DEFAULT_TTL_TABLE_SPEC, parseTtlTable),
  /** Per-key budget of cheap calls (labels, services, health): requests/window. */
  RATE_LIMIT_CHEAP: parsed("RATE_LIMIT_CHEAP", DEFAULT_CHEAP_BUDGET, parseBudget),
  /** Per-key budget of heavy calls (query, analyze, export): requests/window. */
  RATE_LIMIT_HEAVY: parsed("RATE_LIMIT_HEAVY", DEFAULT_HEAVY_BUDGET, parseBudget),
  /** Deadline of one Redis command; a slow Redis never slows a request more than this. */
  REDIS_COMMAND_TIMEOUT_MS: parsed(
    "REDIS_COMMAND_TIMEOUT_MS",
    "500",
    whole(1, "a positive whole number of milliseconds"),
  ),
  /** Cost guardrail: most bytes (Loki's index/volume estimate) one query may read. */
  QUERY_MAX_BYTES: parsed("QUERY_MAX_BYTES", "10GB", parseBytes),
  /** Folder of the failure pattern library (YAML, one file per category); default: the repo's patterns/. */
  PATTERNS_DIR: z.string().min(1).optional(),
  /**
   * Secrets that sign paging cursors (HMAC-SHA256), comma-separated, each ≥ 16 characters: the first signs, all
   * verify (rotate by putting the new one first, drop the old one later). Unset → a random key per process (logged:
   * cursors then break on restart and across instances).
   */
  CURSOR_KEYS: parsed("CURSOR_KEYS", "", parseCursorKeys),
  /** Live stream: distinct upstream Loki tails per tenant (keep ≤ Loki's max_concurrent_tail_requests, 10). */
  STREAM_MAX_TAILS_PER_TENANT: parsed(
    "STREAM_MAX_TAILS_PER_TENANT",
    "10",
    whole(1, "a whole number of tails ≥ 1", 1000),
  ),
  /** Live stream: subscriptions one socket may hold. */
  STREAM_MAX_SUBSCRIPTIONS: parsed("STREAM_MAX_SUBSCRIPTIONS", "20", whole(1, "a whole number ≥ 1", 1000)),
  /** Live stream: lines each shared tail keeps for clients that reconnect and resume. */
  STREAM_REPLAY_ENTRIES: parsed("STREAM_REPLAY_ENTRIES", "10000", whole(1, "a whole number of lines ≥ 1", 10_000_000)),
  /** Live stream: lines a client's queue holds before its entries are dropped (with a notice). */
  STREAM_CLIENT_QUEUE: parsed("STREAM_CLIENT_QUEUE", "10000", whole(1, "a whole number of lines ≥ 1", 10_000_000)),
  /** Live stream: a client whose queue stays full this long (ms) is disconnected (close code 4008). */
  STREAM_SLOW_CLIENT_MS: parsed("STREAM_SLOW_CLIENT_MS", "10000", whole(1, "a whole number of milliseconds ≥ 1")),
  /** Live stream: how long (ms) a closed socket's subscriptions wait for a `resume`. */
  STREAM_RESUME_GRACE_MS: parsed("STREAM_RESUME_GRACE_MS", "60000", whole(0, "a whole number of milliseconds")),
  /** Live stream: ping interval (ms); a client that misses a pong by the next ping is disconnected. */
  STREAM_HEARTBEAT_MS: parsed("STREAM_HEARTBEAT_MS", "30000", whole(100, "a whole number of milliseconds ≥ 100")),
  /** Live stream: interval (ms) of `stats` messages. */
  STREAM_STATS_MS: parsed("STREAM_STATS_MS", "5000", whole(100, "a whole number of milliseconds ≥ 100")),
  /** Live stream: one alert per pattern or new template within this window (ms). */
  STREAM_ALERT_WINDOW_MS: parsed("STREAM_ALERT_WINDOW_MS", "60000", whole(1, "a whole number of milliseconds ≥ 1")),
  /** Live stream: seconds Loki holds tailed lines to order them (Loki's delay_for, 0–5). */
  STREAM_DELAY_FOR: parsed("STREAM_DELAY_FOR", "0", whole(0, "a whole number of seconds from 0 to 5", 5)),
  /** Live stream: read back each tail's recent range this often (ms) for lines Loki's tail skipped; 0 = never. */
  STREAM_RECONCILE_MS: parsed("STREAM_RECONCILE_MS", "2000", whole(0, "a whole number of milliseconds (0 = off)")),
  /** Export: cost guardrail (Loki's index/volume estimate of the bytes one export reads). */
  EXPORT_MAX_BYTES: parsed("EXPORT_MAX_BYTES", "50GB", parseBytes),
  /** Export: most lines one export writes (a caller's `limit` can only lower it). */
  EXPORT_MAX_LINES: parsed("EXPORT_MAX_LINES", "50000000", whole(1, "a whole number of lines ≥ 1")),
  /** Export: seconds a signed export link (POST /export/link) can be used. */
  EXPORT_LINK_TTL_S: parsed("EXPORT_LINK_TTL_S", "900", whole(10, "a whole number of seconds ≥ 10", 7 * 86_400)),
  /** Byte bound of the in-memory cache (used when REDIS_URL is unset). */
  MEMORY_CACHE_BYTES: parsed("MEMORY_CACHE_BYTES", "67108864", whole(1024, "a whole number of bytes ≥ 1024")),
});

const configSchema = envSchema.transform((env, ctx) => {
  try {
    return { ...env, AUTH_MODE: authModeFrom(env) };
  } catch (err) {
    ctx.addIssue({ code: "custom", path: ["AUTH"], message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

export type Config = z.output<typeof configSchema>;

/** "s1,s2" → ["s1", "s2"] (the first signs); "" → undefined. Never echoes a secret. */
export function parseCursorKeys(text: string): string[] | undefined {
  const keys = text
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  const short = keys.findIndex((k) => k.length < 16);
  if (short >= 0) throw new Error(`secret ${short + 1} is shorter than 16 characters; use long random strings`);
  return keys.length ? keys : undefined;
}

/** "10GB", "500MB", "2048" (bytes) → bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`must be a size like 500MB or 10GB, got "${text}"`);
  const unit = (m[2] ?? "B").toLowerCase();
  const mult: Record<string, number> = {
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    tb: 1e12,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    tib: 1024 ** 4,
  };
  return Math.round(Number(m[1]) * (mult[unit] ?? 1));
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the configuration; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}
