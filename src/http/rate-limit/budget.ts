import { parseDurationMs } from "../../cache/ttl.ts";
import type { Budget } from "./middleware.ts";

/**
 * Parses a budget like "300/1m" (300 requests per minute), "30/60s" or
 * "1000/1h": a positive whole number of requests, "/", and a window of whole
 * seconds (s, m, h or d). Throws an Error saying what is wrong.
 */
export function parseBudget(spec: string): Budget {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(spec);
  if (!m) throw new Error(`"${spec}" is not a budget like 300/1m (requests per window)`);
  const points = Number(m[1]);
  let windowMs: number;
  try {
    windowMs = parseDurationMs(m[2] as string);
  } catch {
    throw new Error(`"${spec}": the window must be a duration like 60s, 1m or 1h`);
  }
  if (points < 1) throw new Error(`"${spec}": allow at least 1 request per window`);
  if (windowMs < 1_000 || windowMs % 1_000 !== 0) throw new Error(`"${spec}": the window must be whole seconds, ≥ 1s`);
  return { points, durationS: windowMs / 1_000 };
}

export const DEFAULT_CHEAP_BUDGET = "300/1m";
export const DEFAULT_HEAVY_BUDGET = "30/1m";
