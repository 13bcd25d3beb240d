import { CACHE_KEY_PREFIX } from "../cache/index.ts";
import type { MinerSnapshot } from "./miner/index.ts";

/**
 * How learned templates are laid out in the cache: one key per (tenant,
 * service) holding a `StoredMiner` (written by compare-and-set), and an index
 * of the pairs.
 *
 * A key names its tenant and service by an
 * injective encoding, so no two (tenant, service) pairs share a key: the
 * no-tenant mode is `t0`, a tenant `t=<encoded>` (so `_`, the empty tenant or
 * one holding `:` or `%` each have their own), and encoded names never hold
 * the `:` separator.
 */

export const LEARNED_KEY_PREFIX = `${CACHE_KEY_PREFIX}:learned`;
/** The list of (tenant, service) pairs with a saved state, for `restoreAll`. */
export const LEARNED_INDEX_KEY = `${CACHE_KEY_PREFIX}:learned-index`;

/** One index entry: the tenant (`null` for no tenant) and the service. */
export type IndexEntry = [tenant: string | null, service: string];

const SAFE = /[A-Za-z0-9._~-]/;

/**
 * Total and injective: letters, digits and `._~-` stay; any other UTF-16 unit
 * (lone surrogates too) becomes `%XX` below 0x80, else `%uXXXX`.
 */
export function encodeSegment(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const code = name.charCodeAt(i);
    if (SAFE.test(ch)) out += ch;
    else if (code < 0x80) out += `%${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += `%u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return out;
}

/** The key of one (tenant, service) state. */
export const minerKey = (tenant: string | undefined, service: string): string =>
  `${LEARNED_KEY_PREFIX}:${tenant === undefined ? "t0" : `t=${encodeSegment(tenant)}`}:${encodeSegment(service)}`;

/** The index as stored, keeping only well-formed entries. */
export function parseIndex(text: string | undefined): IndexEntry[] {
  const parsed: unknown = text === undefined ? [] : JSON.parse(text);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (e): e is IndexEntry =>
      Array.isArray(e) && e.length === 2 && (e[0] === null || typeof e[0] === "string") && typeof e[1] === "string",
  );
}

/** What is stored under a (tenant, service) key. */
export interface StoredMiner {
  v: 2;
  /** `null` for no tenant. */
  tenant: string | null;
  service: string;
  /** Timestamp (ns) of the newest line any instance learned, as a decimal string. */
  watermark: string;
  updatedAt: number;
  snapshot: MinerSnapshot;
}

/** A stored state read back; throws when it is not one (the snapshot itself is checked on restore). */
export function parseStored(text: string): StoredMiner {
  const stored = JSON.parse(text) as StoredMiner;
  if (stored === null || typeof stored !== "object" || stored.v !== 2) {
    throw new Error(`unknown stored miner version ${String((stored as { v?: unknown } | null)?.v)}`);
  }
  BigInt(stored.watermark);
  return stored;
}
