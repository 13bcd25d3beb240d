import { createHash } from "node:crypto";

/** An absolute time range in nanoseconds since the epoch (Loki's unit). */
export interface NsRange {
  start: bigint;
  end: bigint;
}

export type ParamValue = string | number | bigint | boolean | Date | null | undefined | ParamValue[] | ParamObject;
export interface ParamObject {
  [name: string]: ParamValue;
}

const NS_PER_MS = 1_000_000n;

/** Bumped when the shape of cached values changes, so old entries are never read. */
export const CACHE_KEY_VERSION = "v1";
export const CACHE_KEY_PREFIX = `ls:${CACHE_KEY_VERSION}`;

/**
 * Parameter names that carry credentials. They are dropped before hashing:
 * the tenant (already in the key) is what an API key stands for, and no secret
 * ever goes into a cache key, hashed or not.
 */
const SECRET_PARAMS = new Set([
  "authorization",
  "api_key",
  "apikey",
  "api-key",
  "x-api-key",
  "key",
  "token",
  "access_token",
  "password",
  "secret",
]);

/**
 * Widens a range outwards to multiples of `stepMs` (start floored, end ceiled),
 * so "the last 15 minutes" asked twice a second apart resolves to the same
 * range — and the same cache key. Query Loki with the aligned range too, so
 * the cached value is exactly what the key says. `stepMs <= 0` → unchanged.
 */
export function alignRange(range: NsRange, stepMs: number): NsRange {
  if (!(stepMs > 0)) return { start: range.start, end: range.end };
  const step = BigInt(Math.round(stepMs)) * NS_PER_MS;
  const floor = (ns: bigint) => ns - (((ns % step) + step) % step);
  const start = floor(range.start);
  const endFloor = floor(range.end);
  const end = endFloor === range.end ? range.end : endFloor + step;
  return { start, end };
}

/**
 * A sensible alignment step for a range of this length: fine for short
 * ranges (so "last 5m" is not widened much), coarse for long ones.
 */
export function alignStepFor(range: NsRange): number {
  const ms = Number((range.end - range.start) / NS_PER_MS);
  if (ms <= 60 * 60_000) return 10_000; // ≤ 1 h → 10 s
  if (ms <= 24 * 60 * 60_000) return 60_000; // ≤ 1 d → 1 min
  return 5 * 60_000; // longer → 5 min
}

/**
 * Canonical form of request parameters: keys sorted (recursively), undefined,
 * null and secret-named parameters dropped, numbers/bigints/booleans/dates as
 * strings. Array order is kept (it can matter); strings are not trimmed or
 * case-folded (that can matter too) — normalize those before calling if the
 * endpoint treats them as equal.
 */
export function normalizeParams(params: ParamObject): ParamObject {
  const out: ParamObject = {};
  for (const name of Object.keys(params).sort()) {
    if (SECRET_PARAMS.has(name.toLowerCase())) continue;
    const value = normalizeValue(params[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function normalizeValue(value: ParamValue): ParamValue {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return String(value.getTime());
  if (Array.isArray(value)) return value.map((v) => normalizeValue(v) ?? null);
  return normalizeParams(value);
}

/**
 * The cache key of one request:
 *
 *   ls:v1:<tenant>:<endpoint>:<sha256(normalized params + aligned range), 32 hex>
 *
 * - Tenant separation is structural: the tenant is the first segment, URL-
 *   encoded so it can never contain the ":" separator, and "t0" (which no
 *   encoded tenant can equal, encoded tenants start with "t=") stands for
 *   "no tenant" (single-tenant Loki). It is also inside the hash.
 * - No secret appears: parameters named like credentials are dropped, the
 *   rest are only present as a hash; never pass headers in `params`.
 * - The range is absolute (resolve "now-15m" first) and is aligned to
 *   `alignMs` here, so calls a moment apart share the key.
 */
export function cacheKey(input: {
  tenant: string | undefined;
  endpoint: string;
  params: ParamObject;
  range: NsRange;
  alignMs: number;
}): string {
  const range = alignRange(input.range, input.alignMs);
  const tenantSegment = input.tenant === undefined ? "t0" : `t=${encodeURIComponent(input.tenant)}`;
  const endpoint = encodeURIComponent(input.endpoint.replace(/^\/+|\/+$/g, ""));
  const payload = JSON.stringify([
    input.tenant ?? null,
    input.endpoint,
    normalizeParams(input.params),
    range.start.toString(),
    range.end.toString(),
  ]);
  const hash = createHash("sha256").update(payload).digest("hex").slice(0, 32);
  return `${CACHE_KEY_PREFIX}:${tenantSegment}:${endpoint}:${hash}`;
}

/** The key of the short cross-instance lock guarding the computation of `key`. */
export const lockKeyOf = (key: string) => `${key}:lock`;
